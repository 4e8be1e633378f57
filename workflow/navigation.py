"""Workflow links per role (no counting here: the pages count; the top bar's badge is in ``badges``)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts import roles
from accounts.navigation import NavLink
from accounts.selectors import sees_everything

SECTION = _("投诉办理")


def _inbox_staff(user) -> tuple[bool, bool]:
    branch_staff = user.has_role(roles.BRANCH_HANDLER, roles.BRANCH_MANAGER) and not user.at_head_office
    ho_staff = user.has_role(roles.HO_OFFICER, roles.HO_APPROVER) and user.at_head_office
    return branch_staff, ho_staff


def has_inbox(user) -> bool:
    """Whether the menu offers the user the inbox (待办投诉)."""
    return any(_inbox_staff(user))


def has_approvals(user) -> bool:
    """Whether the menu offers the user the approval queue (审批队列)."""
    return user.has_role(roles.BRANCH_MANAGER, roles.HO_OFFICER, roles.HO_APPROVER) and has_inbox(user)


def links_for(user) -> list[NavLink]:
    links: list[NavLink] = []
    branch_staff, ho_staff = _inbox_staff(user)
    if user.has_role(roles.BRANCH_HANDLER) and not user.at_head_office:
        links.append(
            NavLink(SECTION, _("我的案件"), reverse("workflow:mine"), _("分派给我的投诉，按紧急程度"), key="wf_mine")
        )
    if branch_staff or ho_staff:
        links.append(
            NavLink(
                SECTION, _("待办投诉"), reverse("workflow:inbox"), _("超期、今日到期、暂停、待总行审核"), key="wf_inbox"
            )
        )
    if has_approvals(user):
        links.append(
            NavLink(
                SECTION,
                _("审批队列"),
                reverse("workflow:approvals"),
                _("待审核处理意见、延期申请、核实申请"),
                key="wf_approvals",
            )
        )
    if sees_everything(user) and user.has_role(roles.HO_OFFICER, roles.HO_APPROVER, roles.AUDITOR, roles.ADMIN):
        links.append(
            NavLink(
                SECTION,
                _("分行时限总览"),
                reverse("workflow:overview"),
                _("各分行超期、即将到期、延期与审核"),
                key="wf_overview",
            )
        )
    return links
