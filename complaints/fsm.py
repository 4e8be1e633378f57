"""Transitions of the case state machine, mixed into ``complaints.Complaint``.

The state column and its moves live with the row, in complaints, which never imports the
workflow (issue 13, docs/decisions/case-row-ownership.md). django-fsm-2 collects ``@transition``
methods from the model class, including inherited ones. Transitions are only ever called from
``workflow.services`` (which checks role and org, locks the row and logs a ``CaseTransition``);
``FSMField(protected=True)`` forbids setting the state directly.

The methods only move the state: who may call them is decided by the one
permission table in ``workflow.permissions``, and the bookkeeping (timestamps,
clocks, logs) is done by the workflow's services, so this graph stays readable::

    registered ─route→ routed ─accept→ accepted ─start_investigation→ investigating
    investigating ─draft_decision→ decision_drafted ─submit_for_review→ ho_review
    ho_review ─approve_decision→ approved ─respond→ responded ─close→ closed
    ho_review ─return_to_branch→ investigating                (rework)
    accepted|investigating ─pause→ paused ─resume→ the state it was paused in
    responded|closed ─request_verification→ verification ─decide_verification→ closed
    verification ─withdraw_verification→ closed   (the customer drops the request: the case stays decided)
    open states but verification ─withdraw→ withdrawn; early states ─merge→ merged;
    registered|routed ─not_accept→ not_accepted
"""

from __future__ import annotations

from django_fsm import RETURN_VALUE, transition

from .states import CaseState as S

FIELD = "status"

# States from which a case can still be withdrawn by the customer.
WITHDRAWABLE = [
    S.REGISTERED,
    S.ROUTED,
    S.ACCEPTED,
    S.INVESTIGATING,
    S.DECISION_DRAFTED,
    S.HO_REVIEW,
    S.APPROVED,
    S.PAUSED,
]
# A repeat case is merged before anyone has worked on it in earnest.
MERGEABLE = [S.REGISTERED, S.ROUTED, S.ACCEPTED, S.INVESTIGATING]
PAUSABLE = [S.ACCEPTED, S.INVESTIGATING]


class CaseWorkflowMixin:
    """Holder for the ``@transition`` methods of the case workflow."""

    @transition(field=FIELD, source=S.REGISTERED, target=S.ROUTED)
    def route(self) -> None:
        """Head office sends the case to the responsible branch."""

    @transition(field=FIELD, source=[S.REGISTERED, S.ROUTED], target=S.NOT_ACCEPTED)
    def not_accept(self) -> None:
        """Out of scope (not a complaint, not ours): closed with a reason."""

    @transition(field=FIELD, source=S.ROUTED, target=S.ACCEPTED)
    def accept(self) -> None:
        """The branch takes the case: its first response."""

    @transition(field=FIELD, source=S.ACCEPTED, target=S.INVESTIGATING)
    def start_investigation(self) -> None:
        pass

    @transition(field=FIELD, source=[S.INVESTIGATING, S.DECISION_DRAFTED], target=S.DECISION_DRAFTED)
    def draft_decision(self) -> None:
        """A new draft (or a revised one before it is submitted)."""

    @transition(field=FIELD, source=S.DECISION_DRAFTED, target=S.HO_REVIEW)
    def submit_for_review(self) -> None:
        pass

    @transition(field=FIELD, source=S.HO_REVIEW, target=S.APPROVED)
    def approve_decision(self) -> None:
        pass

    @transition(field=FIELD, source=S.HO_REVIEW, target=S.INVESTIGATING)
    def return_to_branch(self) -> None:
        """Head office sends the draft back for rework (with comments)."""

    @transition(field=FIELD, source=S.APPROVED, target=S.RESPONDED)
    def respond(self) -> None:
        """The decision has been told to the customer: the decision clock stops."""

    @transition(field=FIELD, source=S.RESPONDED, target=S.CLOSED)
    def close(self) -> None:
        pass

    @transition(field=FIELD, source=S.RESPONDED, target=S.HO_REVIEW)
    def close_changed(self) -> None:
        """Closing with a result or redress other than the approved one: back to head-office review."""

    @transition(field=FIELD, source=S.MERGED, target=RETURN_VALUE(*MERGEABLE))
    def unmerge(self, back_to: str) -> str:
        """Head office undoes a merge: back to the state the case was merged from."""
        return back_to

    @transition(field=FIELD, source=PAUSABLE, target=S.PAUSED)
    def pause(self) -> None:
        """External appraisal, testing or assessment: the clock stops."""

    @transition(field=FIELD, source=S.PAUSED, target=RETURN_VALUE(*PAUSABLE))
    def resume(self, back_to: str) -> str:
        """Back to the state the case was paused in."""
        return back_to

    @transition(field=FIELD, source=[S.RESPONDED, S.CLOSED], target=S.VERIFICATION)
    def request_verification(self) -> None:
        """The customer asks the upper level to verify (核实) the decision."""

    @transition(field=FIELD, source=S.VERIFICATION, target=S.CLOSED)
    def decide_verification(self) -> None:
        pass

    @transition(field=FIELD, source=S.VERIFICATION, target=S.CLOSED)
    def withdraw_verification(self) -> None:
        """The customer withdraws the verification request; the complaint itself stays decided."""

    @transition(field=FIELD, source=WITHDRAWABLE, target=S.WITHDRAWN)
    def withdraw(self) -> None:
        pass

    @transition(field=FIELD, source=MERGEABLE, target=S.MERGED)
    def merge(self) -> None:
        """A repeat case is folded into the original (which keeps its own clock)."""
