"""The fixed set of staff roles. Pure data: no Django models here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

AGENT = "agent"
BRANCH_HANDLER = "branch_handler"
BRANCH_MANAGER = "branch_manager"
HO_OFFICER = "ho_officer"
HO_APPROVER = "ho_approver"
LISTENING_MANAGER = "listening_manager"
AUDITOR = "auditor"
ADMIN = "admin"

ROLE_CHOICES = [
    (AGENT, _("呼叫中心坐席")),
    (BRANCH_HANDLER, _("分支行经办人")),
    (BRANCH_MANAGER, _("分行投诉主管")),
    (HO_OFFICER, _("总行投诉专员")),
    (HO_APPROVER, _("总行审批人")),
    (LISTENING_MANAGER, _("听音管理者")),
    (AUDITOR, _("审计（只读）")),
    (ADMIN, _("系统管理员")),
]
ROLE_LABELS = dict(ROLE_CHOICES)

# Roles that only make sense at head office: they act on, or read, the whole bank.
HEAD_OFFICE_ROLES = frozenset({AGENT, HO_OFFICER, HO_APPROVER, AUDITOR, ADMIN})


def misplaced_roles(wanted: set[str] | frozenset[str], *, at_head_office: bool) -> set[str]:
    """Head-office roles among ``wanted`` for a user who is not at head office."""
    return set() if at_head_office else set(wanted) & HEAD_OFFICE_ROLES


# Roles that never change anything (auditors read and list the audit trail).
READ_ONLY_ROLES = frozenset({AUDITOR})
# Roles allowed to see sensitive customer numbers unmasked (each view is audit-logged).
UNMASK_ROLES = frozenset({HO_OFFICER, HO_APPROVER})
