"""The nightly QA batch (issue 16): a beat entry queues every transcribed call without a score for
scoring, one task per call, and counts the day's calls still waiting for transcription."""

from __future__ import annotations

import datetime as dt

import pytest
from celery.schedules import crontab
from django.conf import settings

from callqa.models import CallScore
from recordings.models import CallRecording
from tests.callqa.conftest import BAD_CALL, GOOD_CALL

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 3)


@pytest.fixture(autouse=True)
def _today(pin_clock):
    pin_clock(TODAY)


def test_beat_runs_the_batch_every_night():
    from voc.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["callqa-nightly"]
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks  # a registered task, not a typo
    schedule = entry["schedule"]
    assert isinstance(schedule, crontab)
    assert schedule.hour == {1} and schedule.minute == {30} and len(schedule.day_of_week) == 7


def test_the_batch_scores_every_unscored_transcribed_call_through_the_queue(org_tree, make_call, caplog):
    from callqa import services
    from callqa.tasks import callqa_nightly_batch_task
    from voc.celery import app

    done = [make_call(org_tree.bj, BAD_CALL), make_call(org_tree.sh, GOOD_CALL)]
    already = make_call(org_tree.bj, GOOD_CALL)
    services.recording_score(recording_id=already.pk)
    before = CallScore.objects.get(recording=already).scored_at
    waiting = make_call(org_tree.sh, GOOD_CALL)
    CallRecording.objects.filter(pk=waiting.pk).update(status=CallRecording.Status.PROCESSING)
    app.conf.task_always_eager = True
    try:
        result = callqa_nightly_batch_task.apply().get()
    finally:
        app.conf.task_always_eager = False
    assert result == {"queued": 2, "not_sent": 0, "waiting_transcription": 1}
    scores = dict(CallScore.objects.values_list("recording_id", "score"))
    assert set(scores) == {done[0].pk, done[1].pk, already.pk}  # the waiting call is not scored yet
    assert scores[done[0].pk] == 55 and scores[done[1].pk] == 100
    assert CallScore.objects.get(recording=already).scored_at == before  # a scored call is left alone
    assert "still waiting for transcription" in caplog.text


def test_a_call_the_broker_refuses_stays_unscored_for_the_next_night(org_tree, make_call, monkeypatch):
    from callqa import services, tasks

    rec = make_call(org_tree.bj, GOOD_CALL)

    def refuse(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.callqa_score_task, "delay", refuse)
    assert services.nightly_batch() == {"queued": 0, "not_sent": 1, "waiting_transcription": 0}
    assert not CallScore.objects.filter(recording=rec).exists()
