"""Celery tasks: thin wrappers around services (idempotent, safe to retry)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="workflow.escalate_deadlines", ignore_result=True)
def escalate_deadlines() -> dict[str, int]:
    """Mark due-soon / overdue / late-first-response cases and notify once per event."""
    from .services import escalation_run

    result = escalation_run()
    return {"due_soon": result.due_soon, "overdue": result.overdue, "first_response": result.first_response}


@shared_task(name="workflow.purge_idempotency_keys", ignore_result=True)
def purge_idempotency_keys() -> int:
    """Delete the workflow API's expired Idempotency-Key rows."""
    from .services.idempotency import idempotency_keys_purge

    return idempotency_keys_purge()
