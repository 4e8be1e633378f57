"""What each role can do, gathered from every app for the home page and the menu.

Each app may have a ``navigation.py`` with ``links_for(user) -> list[NavLink]``;
the app decides, through its own selectors, which links a user gets. Links
must be cheap to compute (no per-request counting over big tables).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import roles

NAVIGATION_APPS = ("complaints", "workflow", "recordings", "analytics", "accounts")


@dataclass(frozen=True)
class NavLink:
    section: str
    label: str
    url: str
    description: str = ""
    key: str = ""


def links_for(user) -> list[NavLink]:
    """Accounts' own links: administration and the audit trail."""
    links: list[NavLink] = [
        NavLink(
            _("个人"),
            _("我的通知"),
            reverse("accounts:notifications"),
            _("时限提醒、典型录音、上升问题"),
            key="notifications",
        )
    ]
    if user.is_staff or user.has_role(roles.ADMIN):
        links.append(NavLink(_("管理"), _("系统管理"), reverse("admin:index"), _("机构、用户、分类代码"), key="admin"))
    if user.has_role(roles.AUDITOR, roles.ADMIN):
        links.append(
            NavLink(_("管理"), _("审计日志"), reverse("accounts:audit_log"), _("查阅只读审计记录"), key="audit")
        )
    return links


def collect_links(user) -> list[NavLink]:
    if not user.is_authenticated:
        return []
    collected: list[NavLink] = []
    for app in NAVIGATION_APPS:
        try:
            module = import_module(f"{app}.navigation")
        except ModuleNotFoundError:
            continue
        collected.extend(module.links_for(user))
    return collected
