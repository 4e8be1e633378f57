"""Each channel from the wire to a case: a customer's message posted as the platform posts it
becomes a draft, an agent confirms it through the normal intake form, and the case exists once.
A voice message's audio comes from the platform's media API (a fake client here) and goes through
the real transcription path as a recording."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from accounts import roles
from complaints.models import Complaint
from recordings.models import CallRecording
from recordings.services import recording_transcribe
from tests.complaints.test_pages import _form_token, _post_data
from tests.recordings import audio_factory as af
from tests.wechat.conftest import FakeMediaClient
from tests.wechat.wire import EXTERNAL_ID, OPENID, WECOM, text_xml, voice_xml
from wechat.models import WeChatMessage
from wechat.services import voice_fetch
from wechat.tasks import RETRIES, fetch_voice

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(pin_clock):
    pin_clock(date(2026, 11, 25))


def _rows(resp) -> set[int]:
    return {int(n) for n in re.findall(r'data-wechat="(\d+)"', resp.content.decode())}


def _confirm(client, draft) -> Complaint:
    html = client.get(reverse("complaints:intake"), {"wechat": draft.pk}).content.decode()
    assert 'id="from-wechat"' in html
    data = _post_data(_form_token(html), wechat=str(draft.pk), channel="wechat")
    data.pop("summary")
    data.pop("details")
    return html, data


def test_official_account_text_to_a_case_an_agent_confirms(client, oa, agent, org_tree):
    text = "信用卡未开卡被收年费，要求退还"
    resp = oa.post(text_xml(to="gh_10f6c3c3ac5a", sender=OPENID, content=text, msg_id="100"))
    draft = WeChatMessage.objects.get()
    assert draft.receipt in oa.read_reply(resp)

    client.force_login(agent)
    assert _rows(client.get(reverse("wechat:queue"))) == {draft.pk}
    html, data = _confirm(client, draft)
    assert f'value="{text}"' in html  # the summary is prefilled from the message
    data.update(summary=text, details=text)
    assert client.post(reverse("complaints:intake"), data).status_code == 302
    assert client.post(reverse("complaints:intake"), data).status_code in (200, 302)  # a second submit
    case = Complaint.objects.get()
    assert (case.channel, case.summary) == ("wechat", text)
    draft.refresh_from_db()
    assert (draft.status, draft.complaint_id) == ("registered", case.pk)
    assert _rows(client.get(reverse("wechat:queue"))) == set()
    # the platform delivers the same message again: no second draft, and now the case reference
    again = oa.post(text_xml(to="gh_10f6c3c3ac5a", sender=OPENID, content=text, msg_id="100"), nonce="2")
    assert case.reference in oa.read_reply(again)
    assert WeChatMessage.objects.count() == 1 and Complaint.objects.count() == 1


def test_a_branch_sees_only_its_apps_messages_and_can_dismiss_one_with_a_reason(client, oa, wecom, org_tree, make_user):
    oa.post(text_xml(to="gh", sender=OPENID, content="总行公众号消息", msg_id="1"))
    wecom.post(text_xml(to=WECOM["corp"], sender=EXTERNAL_ID, content="客户经理转来", msg_id="2"), agent_id="1000002")
    ho_msg, bj_msg = WeChatMessage.objects.order_by("pk")
    handler = make_user(roles.BRANCH_HANDLER, org_tree.bj)
    client.force_login(handler)
    assert _rows(client.get(reverse("wechat:queue"))) == {bj_msg.pk}
    assert client.get(reverse("complaints:intake"), {"wechat": ho_msg.pk}).status_code == 404
    assert client.post(reverse("wechat:not_complaint", args=[ho_msg.pk]), {"reason": "x"}).status_code == 404
    client.post(reverse("wechat:not_complaint", args=[bj_msg.pk]), {"reason": ""})
    bj_msg.refresh_from_db()
    assert bj_msg.status == "draft"  # no reason: nothing changes
    client.post(reverse("wechat:not_complaint", args=[bj_msg.pk]), {"reason": "咨询网点营业时间"})
    bj_msg.refresh_from_db()
    assert (bj_msg.status, bj_msg.handled_reason) == ("not_complaint", "咨询网点营业时间")
    client.force_login(make_user(roles.AUDITOR, org_tree.ho))
    assert client.get(reverse("wechat:queue")).status_code == 404


def test_a_wecom_message_registers_a_case_with_the_wecom_channel(client, wecom, agent, org_tree):
    """A WeCom 1:1 chat is its own intake channel (企业微信); its A code is still chosen by staff."""
    text = "客户经理推荐的理财亏损，要求说明"
    wecom.post(text_xml(to=WECOM["corp"], sender=EXTERNAL_ID, content=text, msg_id="30"), agent_id="1000002")
    draft = WeChatMessage.objects.get()
    client.force_login(agent)
    html = client.get(reverse("complaints:intake"), {"wechat": draft.pk}).content.decode()
    assert re.search(r'<option value="wecom" selected>', html)
    data = _post_data(_form_token(html), wechat=str(draft.pk), channel="wecom", summary=text, details=text)
    assert client.post(reverse("complaints:intake"), data).status_code == 302
    assert Complaint.objects.get().channel == Complaint.Channel.WECOM == "wecom"


@pytest.mark.slow
@pytest.mark.skipif(not af.tools_available(), reason="espeak-ng and sox make the voice")
def test_wecom_voice_is_transcribed_and_confirmed_into_a_case(
    client, wecom, agent, org_tree, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.TRANSCRIPTION_ENGINE = "faster-whisper"
    settings.TRANSCRIPTION_MODEL = "pkg:tiny.en"
    settings.TRANSCRIPTION_MODEL_CACHE = Path(django_settings.BASE_DIR) / "var" / "models"
    settings.WECHAT_VOICE_LANGUAGE = "en"
    voice = af.telephone(
        af.speak(tmp_path / "raw.wav", "I want to complain about my credit card. Please call me back."),
        tmp_path / "voice.wav",
    )
    FakeMediaClient.store["MEDIA-1"] = voice.read_bytes()

    with django_capture_on_commit_callbacks() as queued:
        resp = wecom.post(
            voice_xml(to=WECOM["corp"], sender=EXTERNAL_ID, media_id="MEDIA-1", msg_id="7", agent_id="1000002"),
            agent_id="1000002",
        )
    draft = WeChatMessage.objects.get()
    assert draft.receipt in wecom.read_reply(resp)
    assert len(queued) == 1 and draft.recording is None  # the fetch is queued for after the commit
    assert voice_fetch(message_id=draft.pk) == "stored"  # what the queued task runs
    draft.refresh_from_db()
    assert FakeMediaClient.asked == [("wecom", "MEDIA-1")]
    assert draft.recording is not None and draft.recording.status == CallRecording.Status.QUEUED
    assert draft.recording.owner_org == org_tree.bj and draft.recording.complaint is None
    assert voice_fetch(message_id=draft.pk) == "already"  # a second fetch stores nothing new
    assert recording_transcribe(recording_id=draft.recording_id) == "done"

    client.force_login(agent)
    queue = client.get(reverse("wechat:queue")).content.decode()
    assert "credit card" in queue.lower()
    html, data = _confirm(client, draft)
    assert "credit card" in html.lower()  # the transcript fills the details
    data.update(summary="信用卡年费争议（微信语音）", details="complaint about my credit card")
    assert client.post(reverse("complaints:intake"), data).status_code == 302
    case = Complaint.objects.get()
    draft.refresh_from_db()
    assert (draft.status, draft.complaint_id, draft.recording.complaint_id) == ("registered", case.pk, case.pk)


def test_a_voice_whose_audio_cannot_be_fetched_stays_a_draft_with_the_reason(wecom, org_tree):
    wecom.post(voice_xml(to=WECOM["corp"], sender=EXTERNAL_ID, media_id="GONE", msg_id="8"))
    draft = WeChatMessage.objects.get()
    assert voice_fetch(message_id=draft.pk) == "unavailable"
    draft.refresh_from_db()
    assert draft.recording is None and draft.status == "draft"
    assert "expired" in draft.media_error
    FakeMediaClient.store["GONE"] = b"this is not audio at all" * 10
    assert voice_fetch(message_id=draft.pk) == "refused"  # by the recordings' audio check
    assert CallRecording.objects.count() == 0


def test_the_fetch_task_asks_again_while_the_platform_does_not_give_the_audio(wecom, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # retries run at once, in order
    wecom.post(voice_xml(to=WECOM["corp"], sender=EXTERNAL_ID, media_id="LATE", msg_id="9"))
    draft = WeChatMessage.objects.get()
    fetch_voice.apply(args=[draft.pk])
    assert len(FakeMediaClient.asked) == 1 + RETRIES  # the first try and every retry
    FakeMediaClient.asked.clear()
    FakeMediaClient.store["JUNK"] = b"not audio" * 20
    WeChatMessage.objects.filter(pk=draft.pk).update(media_id="JUNK")
    fetch_voice.apply(args=[draft.pk])
    assert len(FakeMediaClient.asked) == 1  # audio we refuse is not asked for again
