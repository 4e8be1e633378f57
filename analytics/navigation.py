"""Analytics links for head-office roles and branch managers (cheap: no counting)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavLink


def links_for(user) -> list[NavLink]:
    from .views import may_use_analytics

    if not may_use_analytics(user):
        return []
    section = _("问题分析")
    return [
        NavLink(
            section,
            _("TOP问题"),
            reverse("analytics:top"),
            _("投诉最多的问题、环比变化、下钻案件"),
            key="analytics_top",
        ),
        NavLink(
            section, _("上升问题"), reverse("analytics:rising"), _("对比自身基线显著上升的问题"), key="analytics_rising"
        ),
        NavLink(
            section,
            _("趋势与热力图"),
            reverse("analytics:trends"),
            _("按周/月的趋势，机构×问题热力图"),
            key="analytics_trends",
        ),
        NavLink(
            section,
            _("处理时效"),
            reverse("analytics:performance"),
            _("按时答复率、首次响应、逾期、核实"),
            key="analytics_perf",
        ),
        NavLink(
            section,
            _("整改看板"),
            reverse("analytics:improvements"),
            _("溯源整改事项及完成情况"),
            key="analytics_improvements",
        ),
    ]
