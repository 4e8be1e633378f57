"""Celery wrappers: they only call services (routed to the "transcription" queue)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from . import services
from .services.transcription import TRANSCRIBE_TASK

# A hung worker (not a dead one: the lease and sweeper cover that) is stopped by Celery;
# generous, as transcription runs at a fraction of real time.
_HARD_LIMIT_S = int(300 + 2 * settings.RECORDING_MAX_DURATION_S)


@shared_task(
    name=TRANSCRIBE_TASK,
    acks_late=True,
    ignore_result=True,
    time_limit=_HARD_LIMIT_S,
)
def recording_transcribe_task(recording_id: int) -> str:
    # Retries are bounded by the service (RECORDING_MAX_ATTEMPTS), which re-queues on
    # failure; a redelivered or duplicate message finds the job claimed or done.
    return services.recording_transcribe(recording_id=recording_id)


@shared_task(name="recordings.tasks.recordings_sweep", ignore_result=True)
def recordings_sweep() -> dict:
    return services.recordings_sweep()
