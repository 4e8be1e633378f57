"""Every write of the workflow (see ``core`` for the lock → check → move → log pattern).

Other apps call these; views and tasks are thin wrappers around them. Each service is
exported wrapped by ``refusals.logged``: a top-level action in its own durable transaction
(inside another transaction it raises; ``service.nested`` joins the caller's), and a
refusal for 回避 or independence is written to the case's log after that transaction
rolled back.
"""

from . import case as _case
from . import clock as _clock
from . import team as _team
from .case import REDRESS_TYPES
from .core import version_of
from .escalation import EscalationResult, escalation_run
from .recompute import RecomputeResult, due_dates_recompute
from .refusals import logged
from .team import assignment_refusal

case_accept = logged(_case.case_accept)
case_accept_and_investigate = logged(_case.case_accept_and_investigate)
case_close = logged(_case.case_close)
case_draft_decision = logged(_case.case_draft_decision)
case_merge = logged(_case.case_merge)
case_not_accept = logged(_case.case_not_accept)
case_respond = logged(_case.case_respond)
case_review = logged(_case.case_review)
case_route = logged(_case.case_route)
case_start_investigation = logged(_case.case_start_investigation)
case_submit_for_review = logged(_case.case_submit_for_review)
case_unmerge = logged(_case.case_unmerge)
case_withdraw = logged(_case.case_withdraw)
case_pause = logged(_clock.case_pause)
pause_decide = logged(_clock.pause_decide)
case_resume = logged(_clock.case_resume)
extension_decide = logged(_clock.extension_decide)
extension_request = logged(_clock.extension_request)
decision_informed_record = logged(_clock.decision_informed_record)
verification_change_review = logged(_clock.verification_change_review)
verification_decide = logged(_clock.verification_decide)
verification_request = logged(_clock.verification_request)
verification_withdraw = logged(_clock.verification_withdraw)
case_assign = logged(_team.case_assign)
case_comment = logged(_team.case_comment)
case_customer_message = logged(_team.case_customer_message)
involved_staff_add = logged(_team.involved_staff_add)

__all__ = [
    "REDRESS_TYPES",
    "EscalationResult",
    "RecomputeResult",
    "assignment_refusal",
    "case_accept",
    "case_accept_and_investigate",
    "case_assign",
    "case_close",
    "case_comment",
    "case_customer_message",
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
    "decision_informed_record",
    "due_dates_recompute",
    "escalation_run",
    "extension_decide",
    "extension_request",
    "involved_staff_add",
    "pause_decide",
    "verification_change_review",
    "verification_decide",
    "verification_request",
    "verification_withdraw",
    "version_of",
]
