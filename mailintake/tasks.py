"""Celery task: a thin wrapper around ``services.mail_ack_send``, sent by name
(``services.ACK_TASK``; idempotent: a sent acknowledgement is not sent again)."""

from __future__ import annotations

from celery import shared_task

from .services import ACK_TASK, mail_ack_send

ACK_RETRIES = 5  # after 1, 2, 4, 8 and 16 minutes


@shared_task(name=ACK_TASK, bind=True, ignore_result=True, max_retries=ACK_RETRIES)
def send_ack(self, mail_id: int) -> str:
    """Mail the sender the case reference; a mail server that did not take it is tried again with
    backoff (the reason stays on the mail meanwhile)."""
    outcome = mail_ack_send(mail_id=mail_id)
    if outcome == "unavailable" and self.request.retries < ACK_RETRIES:
        raise self.retry(countdown=60 * 2**self.request.retries)
    return outcome
