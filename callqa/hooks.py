"""Call QA follows transcription: ``recordings.signals.recording_decoded`` -> the call's audio facts
measured while the job has the audio decoded (stored, so scoring never decodes it again);
``recordings.signals.recording_transcribed`` -> a Celery task after the commit. Queueing never fails
the transcript's store (a call the broker missed is picked up by the nightly batch or
``manage.py qa_score_unscored``)."""

from __future__ import annotations

import logging

from django.db import transaction

log = logging.getLogger(__name__)


def _send(recording_id: int) -> None:
    from .services import score_send

    try:
        score_send(recording_id)
    except Exception:
        log.exception("could not queue call QA of recording %s", recording_id)


def on_recording_transcribed(sender, recording_id: int, **kwargs) -> None:
    transaction.on_commit(lambda: _send(recording_id))


def on_recording_decoded(sender, recording_id: int, decoded, speakers, **kwargs) -> None:
    from .services import audio_facts_measure

    audio_facts_measure(recording_id=recording_id, decoded=decoded, speakers=speakers)
