"""The WeChat services send their Celery tasks by name (wechat.services does not import
wechat.tasks, which calls it: no import cycle), and every process knows the tasks."""

from __future__ import annotations

from datetime import date

import pytest
from celery import current_app

from tests.conftest import run_in_fresh_django
from tests.wechat.conftest import FakeMediaClient
from tests.wechat.wire import EXTERNAL_ID, WECOM, voice_xml
from wechat.models import WeChatMessage
from wechat.services import ACK_TASK, FETCH_VOICE_TASK
from wechat.tasks import fetch_voice, send_ack


@pytest.fixture(autouse=True)
def _clock(pin_clock):
    pin_clock(date(2026, 11, 25))


def test_the_names_the_services_send_are_the_registered_tasks():
    # @shared_task hands out a proxy of the app's task object: compare the object behind it.
    assert current_app.tasks[FETCH_VOICE_TASK] is fetch_voice._get_current_object()
    assert current_app.tasks[ACK_TASK] is send_ack._get_current_object()


@pytest.mark.django_db
def test_the_fetch_queued_after_the_commit_runs_the_registered_task(
    wecom, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    FakeMediaClient.store["M"] = b"not audio" * 20
    with django_capture_on_commit_callbacks(execute=True):
        wecom.post(voice_xml(to=WECOM["corp"], sender=EXTERNAL_ID, media_id="M", msg_id="5"))
    assert FakeMediaClient.asked == [("wecom", "M")]  # the task ran and asked the platform
    assert WeChatMessage.objects.get().media_error  # the recordings' check refused the bytes


def test_a_process_that_never_imported_the_tasks_knows_them_once_django_is_set_up():
    """wechat's and mailintake's tasks both: their services send them by name."""
    code = (
        "from celery import current_app\n"
        "from wechat.services import ACK_TASK, FETCH_VOICE_TASK\n"
        "from mailintake.services import ACK_TASK as MAIL_ACK\n"
        "print(FETCH_VOICE_TASK in current_app.tasks, ACK_TASK in current_app.tasks, MAIL_ACK in current_app.tasks,"
        " 'wechat.tasks' in sys.modules, 'mailintake.tasks' in sys.modules)\n"
    )
    assert run_in_fresh_django(code).split() == ["True"] * 5
