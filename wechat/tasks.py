"""Celery tasks: thin wrappers around the services (idempotent: a stored voice message is not
fetched again). The services send them by name (``services.FETCH_VOICE_TASK``)."""

from __future__ import annotations

from celery import shared_task

from .services import ACK_TASK, FETCH_VOICE_TASK, voice_fetch, wechat_ack_send

RETRIES = 4  # after 1, 2, 4 and 8 minutes; the platform keeps a voice message's media for 3 days


@shared_task(name=FETCH_VOICE_TASK, bind=True, ignore_result=True, max_retries=RETRIES)
def fetch_voice(self, message_id: int) -> str:
    """Fetch and store a voice message's audio; a platform that did not give it is asked again
    with backoff (audio we refuse is not)."""
    outcome = voice_fetch(message_id=message_id)
    if outcome == "unavailable" and self.request.retries < RETRIES:
        raise self.retry(countdown=60 * 2**self.request.retries)
    return outcome


ACK_RETRIES = 5  # after 1, 2, 4, 8 and 16 minutes


@shared_task(name=ACK_TASK, bind=True, ignore_result=True, max_retries=ACK_RETRIES)
def send_ack(self, message_id: int) -> str:
    """Send the customer the case reference; a platform that did not take it is tried again with
    backoff (the reason stays on the message meanwhile)."""
    outcome = wechat_ack_send(message_id=message_id)
    if outcome == "unavailable" and self.request.retries < ACK_RETRIES:
        raise self.retry(countdown=60 * 2**self.request.retries)
    return outcome
