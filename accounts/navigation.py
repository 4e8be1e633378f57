"""What each role can do, gathered from every app for the home page and the menu.

Each app may have a ``navigation.py`` with ``links_for(user) -> list[NavLink]``;
the app decides, through its own selectors, which links a user gets. Links
must be cheap to compute (no per-request counting over big tables). The apps are
found by ``voc.extensions`` (installed apps in order; accounts' own links come last).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from voc.extensions import ExtensionPoint

from . import roles
from .selectors import administers


@dataclass(frozen=True)
class NavLink:
    section: str
    label: str
    url: str
    description: str = ""
    key: str = ""


@dataclass(frozen=True)
class NavBadge:
    """A count of new work in the top bar. The page only places it: the count is fetched from
    ``src`` after the page has loaded (htmx), so no page pays for it in queries or time."""

    src: str
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
    if administers(user):
        links.append(NavLink(_("管理"), _("系统管理"), reverse("admin:index"), _("机构、用户、分类代码"), key="admin"))
    if user.has_role(roles.AUDITOR, roles.ADMIN):
        links.append(
            NavLink(_("管理"), _("审计日志"), reverse("accounts:audit_log"), _("查阅只读审计记录"), key="audit")
        )
    return links


NAVIGATION = ExtensionPoint("navigation.links_for", owner="accounts", item=NavLink)
BADGES = ExtensionPoint("badges.badges_for", owner="accounts", item=NavBadge)


def collect_links(user) -> list[NavLink]:
    if not user.is_authenticated:
        return []
    return [*NAVIGATION.collect(user), *links_for(user)]


def collect_badges(user) -> list[NavBadge]:
    """Where the top bar loads its counts of new work from (no query: the apps decide by role)."""
    if not user.is_authenticated:
        return []
    return BADGES.collect(user)
