"""Celery wrappers: they only call services."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name=services.SCORE_TASK, acks_late=True, ignore_result=True)
def callqa_score_task(recording_id: int) -> None:
    services.recording_score(recording_id=recording_id)


@shared_task(name="callqa.score_unscored", ignore_result=True)
def callqa_score_unscored_task() -> int:
    return services.score_unscored()


@shared_task(name="callqa.nightly_batch", ignore_result=True)
def callqa_nightly_batch_task() -> dict:
    return services.nightly_batch()
