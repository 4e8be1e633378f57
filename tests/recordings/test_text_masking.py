"""What staff type or name around a recording reaches flag audiences outside the case's scope,
so it is masked by complaints/pii.py: the "typical recording" note (and the notification
it becomes) and the uploaded file's name. Storage and dedupe never depend on the name."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from accounts import roles
from accounts.models import Notification
from recordings.models import CallRecording, RecordingFlag
from recordings.services import recording_flag, recording_upload
from recordings.timeline import entries_for
from tests.complaints.factories import ComplaintFactory

from .conftest import tone, upload_of

pytestmark = pytest.mark.django_db

CARD, MOBILE, ID = "6222021234567894", "13812345678", "110101199003071233"  # Luhn / GB 11643 valid
PII = f"客户卡号{CARD}，手机{MOBILE}，身份证{ID}"
MASKED = "客户卡号622202******7894，手机138****5678，身份证1****************3"
PLAIN = "客户要求退款 200 元，已致电说明"


def assert_no_raw(text: str) -> None:
    for raw in (CARD, MOBILE, ID):
        assert raw not in text


@pytest.fixture
def bj_case(org_tree):
    return ComplaintFactory(responsible_org=org_tree.bj)


def test_flag_note_is_masked_in_the_flag_and_the_notification_to_other_branches(
    client, people, estate, org_tree, mailoutbox, django_capture_on_commit_callbacks
):
    rec = estate.bj_recs[0]
    with django_capture_on_commit_callbacks(execute=True):
        recording_flag(
            actor=people.ho_officer,
            recording=rec,
            note=f"  {PII}  ",
            audience_roles=[roles.LISTENING_MANAGER],
            audience_orgs=[org_tree.sh],
        )
    assert RecordingFlag.objects.get(recording=rec).note == MASKED
    pushed = Notification.objects.filter(kind="typical_recording")
    assert set(pushed.values_list("recipient__username", flat=True)) == {people.sh_listener.username}
    for title, body in pushed.values_list("title", "body"):
        assert_no_raw(title)
        assert body == MASKED
    for mail in mailoutbox:
        assert_no_raw(mail.subject + mail.body)
    client.force_login(people.sh_listener)
    for page in (reverse("recordings:inbox"), reverse("recordings:detail", args=[rec.pk])):
        html = client.get(page).content.decode()
        assert_no_raw(html)
        assert "138****5678" in html


def test_ordinary_flag_note_is_stored_as_typed(people, estate):
    flag = recording_flag(
        actor=people.ho_officer, recording=estate.bj_recs[0], note=PLAIN, audience_roles=[roles.LISTENING_MANAGER]
    )
    assert RecordingFlag.objects.get(pk=flag.pk).note == PLAIN


def test_uploaded_file_name_is_masked_and_storage_and_dedupe_follow_the_content(
    client, people, bj_case, short_tone_wav
):
    client.force_login(people.agent)
    name = f"{MOBILE}_{CARD}_{ID}.wav"
    resp = client.post(
        reverse("recordings_api:list"), {"file": upload_of(short_tone_wav, name), "complaint": bj_case.reference}
    )
    assert resp.status_code == 201, resp.content
    masked_name = "138****5678_622202******7894_1****************3.wav"
    assert resp.json()["original_name"] == masked_name
    rec = CallRecording.objects.get(pk=resp.json()["id"])
    sha = hashlib.sha256(short_tone_wav.read_bytes()).hexdigest()
    assert rec.original_name == masked_name
    assert rec.sha256 == sha and rec.file.name == f"recordings/original/{sha[:2]}/{sha}.wav"
    # the same bytes under another name (or the bare number) are the same recording, name unchanged
    for other in ("6222021234567894.amr", "call.wav"):
        again = recording_upload(uploaded_by=people.bj_handler, upload=upload_of(short_tone_wav, other))
        assert not again.created and again.recording.pk == rec.pk
    assert CallRecording.objects.get(pk=rec.pk).original_name == masked_name
    titles = " ".join(e["title"] for e in entries_for(bj_case))
    assert masked_name in titles
    assert_no_raw(titles)
    assert_no_raw(client.get(reverse("recordings_api:detail", args=[rec.pk])).content.decode())


@pytest.mark.parametrize(
    "name, shown",
    [
        ("6222021234567890.amr", "************7890.amr"),  # not Luhn-valid: masked as a long number anyway
        (f"{MOBILE}_20261125.wav", "138****5678_********.wav"),
        ("客户要求退款 200 元.wav", "客户要求退款 200 元.wav"),
        ("年费投诉-回访录音.wav", "年费投诉-回访录音.wav"),
    ],
)
def test_display_name_keeps_ordinary_names_and_the_extension(people, tmp_path, name, shown):
    audio = tone(tmp_path / "t.wav", 1.0)
    rec = recording_upload(uploaded_by=people.bj_handler, upload=upload_of(audio, name)).recording
    assert CallRecording.objects.get(pk=rec.pk).original_name == shown
