"""Celery task: a thin wrapper around ``services.voice_fetch`` (idempotent: a stored voice
message is not fetched again)."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="wechat.fetch_voice", ignore_result=True)
def fetch_voice(message_id: int) -> str:
    from .services import voice_fetch

    return voice_fetch(message_id=message_id)


def fetch_voice_later(message_id: int) -> None:
    """Queue the fetch; a broker that is down is logged, never an error for the platform (the
    message is stored; staff see the voice as not yet fetched)."""
    try:
        fetch_voice.delay(message_id)
    except Exception:  # the callback's reply must not fail on the queue
        logger.exception("wechat voice %s: could not queue the fetch", message_id)
