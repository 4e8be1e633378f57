"""Call QA follows transcription: ``recordings.signals.recording_transcribed`` -> a Celery task
after the commit. Queueing never fails the transcript's store (a call the broker missed is picked
up by ``manage.py qa_score_unscored``)."""

from __future__ import annotations

import logging

from django.db import transaction

log = logging.getLogger(__name__)


def _send(recording_id: int) -> None:
    from .tasks import callqa_score_task

    try:
        callqa_score_task.delay(recording_id)
    except Exception:
        log.exception("could not queue call QA of recording %s", recording_id)


def on_recording_transcribed(sender, recording_id: int, **kwargs) -> None:
    transaction.on_commit(lambda: _send(recording_id))
