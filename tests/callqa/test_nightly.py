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
from tests.conftest import run_in_fresh_django

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


def test_the_service_sends_the_scoring_task_by_its_name():
    """callqa.services finds its Celery task by name (it does not import callqa.tasks, which calls
    it: no import cycle); the name is the registered task's."""
    from celery import current_app

    from callqa.services import SCORE_TASK
    from callqa.tasks import callqa_score_task

    # @shared_task hands out a proxy of the app's task object: compare the object behind it.
    task = getattr(callqa_score_task, "_get_current_object", lambda: callqa_score_task)()
    assert current_app.tasks[SCORE_TASK] is task


def test_a_process_that_never_imported_the_tasks_knows_the_scoring_task():
    """The web process imports no callqa.tasks itself: the app registers its tasks when ready, so
    the hook's send by name finds the task there too."""
    code = (
        "from celery import current_app\n"
        "from callqa.services import SCORE_TASK\n"
        "print(SCORE_TASK in current_app.tasks, 'callqa.tasks' in sys.modules)\n"
    )
    assert run_in_fresh_django(code).split() == ["True", "True"]


def test_a_transcribed_call_is_queued_for_scoring_by_name(monkeypatch, django_capture_on_commit_callbacks):
    """The after-transcription hook sends the task the worker runs (by name, through the app)."""
    from celery import current_app

    from callqa import hooks
    from callqa.services import SCORE_TASK

    sent = []
    monkeypatch.setattr(current_app.tasks[SCORE_TASK], "delay", lambda pk: sent.append(pk))
    with django_capture_on_commit_callbacks(execute=True):
        hooks.on_recording_transcribed(sender=None, recording_id=41)
    assert sent == [41]
