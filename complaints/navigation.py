"""Complaint links per role (cheap: no counting)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts import roles
from accounts.navigation import NavLink

from .services.intake import may_register


def links_for(user) -> list[NavLink]:
    links: list[NavLink] = []
    section = _("投诉")
    if user.has_role(roles.AGENT, roles.BRANCH_HANDLER, roles.BRANCH_MANAGER, roles.HO_OFFICER) and may_register(user):
        links.append(
            NavLink(
                section,
                _("登记投诉"),
                reverse("complaints:intake"),
                _("边通话边登记：客户、分类代码、诉求"),
                key="intake",
            )
        )
    if user.role_set or user.is_superuser:
        links.append(
            NavLink(
                section,
                _("投诉查询"),
                reverse("complaints:list"),
                _("按状态、代码、机构、日期筛选与全文搜索"),
                key="complaint_list",
            )
        )
    return links
