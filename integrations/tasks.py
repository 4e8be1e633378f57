"""Celery tasks: thin wrappers around services (idempotent, safe to retry)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="integrations.send_webhooks", ignore_result=True)
def send_webhooks() -> dict[str, int]:
    """Send the due webhook deliveries (queued after each change, and every half minute by beat
    for retries and for whatever was recorded while the broker was down)."""
    from .services import deliveries_send_due

    result = deliveries_send_due()
    return {"sent": result.sent, "retried": result.retried, "failed": result.failed}


@shared_task(name="integrations.outbox_prune", ignore_result=True)
def prune_outbox() -> int:
    """Nightly: drop delivered or failed events older than INTEGRATIONS_OUTBOX_KEEP_DAYS."""
    from .services import outbox_prune

    return outbox_prune()
