"""The case state machine's transitions moved to ``complaints.fsm`` (issue 13,
docs/decisions/case-row-ownership.md): complaints owns the case row and never imports workflow.
Who may call each transition is still decided here, in ``workflow.permissions``, and the
bookkeeping is done by ``workflow.services``. Re-exported for the code that imports them here."""

from complaints.fsm import FIELD, MERGEABLE, PAUSABLE, WITHDRAWABLE, CaseWorkflowMixin

__all__ = ["FIELD", "MERGEABLE", "PAUSABLE", "WITHDRAWABLE", "CaseWorkflowMixin"]
