"""Regulator transfer links: the import for head office's complaint officers, the results
export for the roles that report back to the regulator."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavLink

from .selectors import may_export_regulator_results, may_import_regulator_transfers


def links_for(user) -> list[NavLink]:
    links: list[NavLink] = []
    section = _("投诉")
    if may_import_regulator_transfers(user):
        links.append(
            NavLink(
                section,
                _("监管转办导入"),
                reverse("integrations:regulator_upload"),
                _("上传监管转来的投诉清单（Excel/CSV），预览后导入"),
                key="regulator_upload",
            )
        )
    if may_export_regulator_results(user):
        links.append(
            NavLink(
                section,
                _("监管转办办理结果"),
                reverse("integrations:regulator_results"),
                _("按监管模板导出转办投诉的处理结果"),
                key="regulator_results",
            )
        )
    return links
