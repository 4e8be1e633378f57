"""The case states moved to ``complaints.states`` with the state machine (issue 13,
docs/decisions/case-row-ownership.md): complaints owns the case row and never imports workflow.
Re-exported here for the code that still imports them from the workflow."""

from complaints.states import (
    CLOCK_RUNNING_STATES,
    DECIDED_STATES,
    FINAL_STATES,
    OPEN_STATES,
    CaseState,
    state_label,
)

__all__ = ["CLOCK_RUNNING_STATES", "DECIDED_STATES", "FINAL_STATES", "OPEN_STATES", "CaseState", "state_label"]
