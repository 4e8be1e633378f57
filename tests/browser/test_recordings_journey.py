"""An agent uploads a call on a case and watches it transcribe; the branch handler reads the
redacted transcript and plays the redacted audio; a listening manager plays a flagged
recording on a phone; the auditor sees both plays."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from accounts import roles
from recordings.models import CallRecording, ListeningEvent
from recordings.services import (
    listening_event_record,
    recording_flag,
    recording_redaction_release,
    recording_transcribe,
)
from tests.complaints.factories import ComplaintFactory
from tests.conftest import browser_login
from tests.recordings.conftest import CARD_CALL, MODEL_CACHE, tts

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


@pytest.fixture
def journey_settings(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TRANSCRIPTION_MODEL = "pkg:tiny.en"
    settings.TRANSCRIPTION_MODEL_CACHE = MODEL_CACHE
    sent: list[int] = []
    # The test thread plays the worker: nothing goes to the shared broker folder.
    monkeypatch.setattr("recordings.services.transcription._send", lambda pk, countdown=0: sent.append(pk))
    return sent


def test_upload_watch_read_play_flag_listen_audit(
    browser, live_server, org_tree, make_user, journey_settings, tmp_path
):
    agent = make_user(roles.AGENT, org_tree.ho, username="agent_ann")
    handler = make_user(roles.BRANCH_HANDLER, org_tree.bj, username="bj_hank")
    officer = make_user(roles.HO_OFFICER, org_tree.ho, username="ho_olga")
    listener = make_user(roles.LISTENING_MANAGER, org_tree.bj, username="bj_lily")
    make_user(roles.AUDITOR, org_tree.ho, username="audrey")
    case = ComplaintFactory(responsible_org=org_tree.bj)
    wav = tts(tmp_path / "call.wav", CARD_CALL)
    SHOTS.mkdir(exist_ok=True)

    def new_page(phone: bool = False):
        if phone:
            ctx = browser.new_context(
                viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
            )
        else:
            ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        pg = ctx.new_page()
        pg.set_default_timeout(20000)
        pg.base_url = live_server.url
        return pg

    # 1. The agent uploads the call on the case page and watches the status.
    pg = new_page()
    browser_login(pg, agent.username)
    pg.goto(f"{pg.base_url}/complaints/{case.reference}/")
    pg.set_input_files("form.rec-upload input[type=file]", str(wav))
    pg.select_option("form.rec-upload select[name=language]", "en")
    pg.click("form.rec-upload button[type=submit]")
    pg.wait_for_selector('.rec-row[data-status="queued"]')
    assert "队列第 1 位" in pg.inner_text(".rec-row")
    rec = _wait_for(lambda: CallRecording.objects.filter(complaint=case).first())
    assert journey_settings == [rec.pk]
    assert recording_transcribe(recording_id=rec.pk) == "done"  # the worker's job, in this thread
    rec.refresh_from_db()
    if rec.redaction == CallRecording.Redaction.REVIEW:
        # On some CPUs tiny.en leaves part of this call without words and the copy is held for
        # review (it fails closed). A head-office officer listens to the copy and releases it, as
        # the product asks, and the journey goes on with a released copy.
        listening_event_record(user=officer, recording=rec, version=ListeningEvent.Version.REDACTED)
        recording_redaction_release(actor=officer, recording=rec, note="复核：号码均已静音")
    assert CallRecording.objects.get(pk=rec.pk).redaction == CallRecording.Redaction.OK
    pg.wait_for_selector('.rec-row[data-status="done"]', timeout=15000)  # htmx polling picked it up
    assert pg.inner_text(".rec-row [data-rec-status]") == "已完成"
    pg.screenshot(path=str(SHOTS / "recordings-case-done.png"), full_page=True)
    pg.context.close()

    # 2. The branch handler reads the redacted transcript and plays the redacted audio.
    pg = new_page()
    browser_login(pg, handler.username)
    pg.goto(f"{pg.base_url}/complaints/{case.reference}/")
    transcript = pg.inner_text(".rec-segments")
    assert "removed]" in transcript and "6222" not in transcript and "1381" not in transcript
    assert pg.locator('.rec-versions button[data-version="original"]').count() == 0
    word = max(pg.inner_text(".rec-segments li >> nth=0").split(), key=len).strip(".,")
    pg.fill("[data-rec-search]", word)
    assert pg.locator(".rec-segments li:not([hidden])").count() >= 1
    assert pg.locator(".rec-segments li:not([hidden])").count() < pg.locator(".rec-segments li").count(), transcript
    pg.fill("[data-rec-search]", "")
    second = pg.locator(".rec-segments li").nth(1)
    start = float(second.get_attribute("data-start"))
    second.locator("button").click()  # seeks and plays
    _wait_for(lambda: ListeningEvent.objects.filter(user=handler, recording=rec).exists(), 15)
    current = _wait_for(lambda: pg.evaluate("document.querySelector('.rec-player audio').currentTime") or None, 10)
    assert current >= start
    pg.wait_for_selector(".rec-segments li.playing", timeout=10000)
    assert ListeningEvent.objects.get(user=handler).version == "redacted"
    pg.context.close()

    # 3. Head office flags it; a listening manager plays it on a phone.
    recording_flag(actor=officer, recording=rec, note="典型：年费争议", audience_roles=[roles.LISTENING_MANAGER])
    pg = new_page(phone=True)
    browser_login(pg, listener.username)
    pg.goto(f"{pg.base_url}/recordings/listen/")
    pg.click(f'[data-inbox-item="{rec.pk}"]')
    pg.wait_for_selector("[data-player] audio")
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    pg.evaluate("document.querySelector('[data-player] audio').play().catch(() => {})")
    _wait_for(lambda: ListeningEvent.objects.filter(user=listener, recording=rec).exists(), 15)
    pg.click("[data-mark-listened]")
    pg.wait_for_selector("[data-listened]")
    pg.screenshot(path=str(SHOTS / "recordings-listen-phone.png"), full_page=True)
    pg.context.close()

    # 4. The auditor sees both plays.
    pg = new_page()
    browser_login(pg, "audrey")
    pg.goto(f"{pg.base_url}/recordings/plays/?recording={rec.pk}")
    rows = pg.inner_text("table")
    assert listener.username in rows and handler.username in rows
    pg.context.close()
