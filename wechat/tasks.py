"""Celery task: a thin wrapper around ``services.voice_fetch`` (idempotent: a stored voice
message is not fetched again)."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


RETRIES = 4  # after 1, 2, 4 and 8 minutes; the platform keeps a voice message's media for 3 days


@shared_task(name="wechat.fetch_voice", bind=True, ignore_result=True, max_retries=RETRIES)
def fetch_voice(self, message_id: int) -> str:
    """Fetch and store a voice message's audio; a platform that did not give it is asked again
    with backoff (audio we refuse is not)."""
    from .services import voice_fetch

    outcome = voice_fetch(message_id=message_id)
    if outcome == "unavailable" and self.request.retries < RETRIES:
        raise self.retry(countdown=60 * 2**self.request.retries)
    return outcome


def fetch_voice_later(message_id: int) -> None:
    """Queue the fetch; a broker that is down is logged, never an error for the platform (the
    message is stored; staff see the voice as not yet fetched)."""
    try:
        fetch_voice.delay(message_id)
    except Exception:  # the callback's reply must not fail on the queue
        logger.exception("wechat voice %s: could not queue the fetch", message_id)
