"""Every write of the workflow (see ``core`` for the lock → check → move → log pattern).

Other apps call these; views and tasks are thin wrappers around them.
"""

from .case import (
    REDRESS_TYPES,
    case_accept,
    case_close,
    case_draft_decision,
    case_merge,
    case_not_accept,
    case_respond,
    case_review,
    case_route,
    case_start_investigation,
    case_submit_for_review,
    case_unmerge,
    case_withdraw,
)
from .clock import (
    case_pause,
    case_resume,
    extension_decide,
    extension_request,
    verification_decide,
    verification_request,
)
from .core import version_of
from .escalation import EscalationResult, escalation_run
from .recompute import RecomputeResult, due_dates_recompute
from .team import assignment_refusal, case_assign, case_comment, involved_staff_add

__all__ = [
    "REDRESS_TYPES",
    "EscalationResult",
    "RecomputeResult",
    "assignment_refusal",
    "case_accept",
    "case_assign",
    "case_close",
    "case_comment",
    "case_draft_decision",
    "case_merge",
    "case_not_accept",
    "case_pause",
    "case_respond",
    "case_resume",
    "case_review",
    "case_route",
    "case_start_investigation",
    "case_submit_for_review",
    "case_unmerge",
    "case_withdraw",
    "due_dates_recompute",
    "escalation_run",
    "extension_decide",
    "extension_request",
    "involved_staff_add",
    "verification_decide",
    "verification_request",
    "version_of",
]
