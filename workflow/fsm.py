"""Transitions of the case state machine, mixed into ``complaints.Complaint``.

django-fsm-2 collects ``@transition`` methods from the model class, including
inherited ones, so the workflow's moves live here, in the workflow app, while
the state column lives on the complaint row. Transitions are only ever called
from ``workflow.services`` (which checks role and org, locks the row and logs a
``CaseTransition``); ``FSMField(protected=True)`` forbids setting the state
directly.
"""

from __future__ import annotations


class CaseWorkflowMixin:
    """Holder for the ``@transition`` methods of the case workflow."""
