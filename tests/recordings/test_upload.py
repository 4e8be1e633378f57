"""Uploading a call: validation before anything is queued, dedupe, scoping (page, API, service)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEvent
from recordings.models import CallRecording
from recordings.services import recording_upload
from tests.complaints.factories import ComplaintFactory

from .conftest import silence, upload_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def bj_case(org_tree):
    return ComplaintFactory(responsible_org=org_tree.bj)


def test_valid_upload_is_stored_privately_and_queued(
    people, bj_case, short_tone_wav, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        result = recording_upload(uploaded_by=people.bj_handler, upload=upload_of(short_tone_wav), complaint=bj_case)
    rec = result.recording
    assert result.created
    assert rec.status == CallRecording.Status.QUEUED and rec.queued_at is not None
    assert rec.complaint == bj_case and rec.owner_org == people.bj_handler.org
    assert rec.audio_format == "wav" and rec.duration_s == pytest.approx(1.0, abs=0.05)
    assert rec.file.path.startswith(str(settings.MEDIA_ROOT))
    assert len(callbacks) == 1  # the job is sent after the commit
    assert AuditEvent.objects.filter(action="recording.upload", object_id=str(rec.pk)).exists()


def test_same_file_twice_is_one_recording(people, bj_case, short_tone_wav):
    first = recording_upload(
        uploaded_by=people.bj_handler, upload=upload_of(short_tone_wav, "a.wav"), complaint=bj_case
    )
    again = recording_upload(
        uploaded_by=people.bj_manager, upload=upload_of(short_tone_wav, "b.wav"), complaint=bj_case
    )
    assert not again.created and again.recording.pk == first.recording.pk
    assert CallRecording.objects.count() == 1


def test_duplicate_upload_links_an_unlinked_recording(people, bj_case, short_tone_wav):
    first = recording_upload(uploaded_by=people.bj_handler, upload=upload_of(short_tone_wav))
    assert first.recording.complaint is None
    again = recording_upload(uploaded_by=people.bj_handler, upload=upload_of(short_tone_wav), complaint=bj_case)
    assert again.recording.pk == first.recording.pk and again.recording.complaint == bj_case


def _bad_files(tmp_path, short_tone_wav):
    wav = short_tone_wav.read_bytes()
    return {
        "zero bytes": (b"", "空"),
        "text named .wav": (b"this is not audio, just a text file\n" * 10, "无法识别"),
        "truncated wav (header only)": (wav[:44], "0"),
        "corrupt mp3": (b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00\x13garbage" * 200, "损坏"),
    }


@pytest.mark.parametrize("case", ["zero bytes", "text named .wav", "truncated wav (header only)", "corrupt mp3"])
def test_bad_files_are_rejected_with_a_message_and_nothing_saved(
    people, bj_case, short_tone_wav, tmp_path, settings, case
):
    data, expected = _bad_files(tmp_path, short_tone_wav)[case]
    upload = SimpleUploadedFile("call.wav", data, content_type="audio/wav")
    with pytest.raises(ValidationError) as err:
        recording_upload(uploaded_by=people.bj_handler, upload=upload, complaint=bj_case)
    assert expected in " ".join(err.value.messages)
    assert CallRecording.objects.count() == 0
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_over_the_size_cap_is_rejected_before_reading(people, bj_case, short_tone_wav, settings):
    settings.RECORDING_MAX_BYTES = 1000
    with pytest.raises(ValidationError) as err:
        recording_upload(uploaded_by=people.bj_handler, upload=upload_of(short_tone_wav), complaint=bj_case)
    assert "过大" in err.value.messages[0] and "too large" not in err.value.messages[0]
    assert CallRecording.objects.count() == 0


def test_longer_than_the_duration_cap_is_rejected(people, bj_case, tmp_path, settings):
    settings.RECORDING_MAX_DURATION_S = 5
    long_file = silence(tmp_path / "long.wav", 8)
    with pytest.raises(ValidationError) as err:
        recording_upload(uploaded_by=people.bj_handler, upload=upload_of(long_file), complaint=bj_case)
    assert "超过上限" in err.value.messages[0]
    assert CallRecording.objects.count() == 0


def test_auditor_cannot_upload(people, bj_case, short_tone_wav):
    with pytest.raises(ValidationError):
        recording_upload(uploaded_by=people.auditor, upload=upload_of(short_tone_wav), complaint=bj_case)
    assert CallRecording.objects.count() == 0


# --- through the case panel (htmx) and the API --------------------------------------------


def test_case_panel_upload_shows_the_queued_row(client, people, bj_case, short_tone_wav):
    client.force_login(people.bj_handler)
    url = reverse("recordings:case_panel", args=[bj_case.reference])
    resp = client.post(
        url,
        {"file": upload_of(short_tone_wav), "language": "en", "direction": "inbound", "channel": "hotline"},
        HTTP_HX_REQUEST="true",
    )
    assert resp.status_code == 201
    body = resp.content.decode()
    assert 'data-status="queued"' in body and "every 2s" in body and "队列第 1 位" in body


def test_case_panel_rejection_is_a_400_with_the_message(client, people, bj_case):
    client.force_login(people.bj_handler)
    url = reverse("recordings:case_panel", args=[bj_case.reference])
    bad = SimpleUploadedFile("call.wav", b"hello, not audio" * 20)
    resp = client.post(
        url, {"file": bad, "language": "zh", "direction": "inbound", "channel": "hotline"}, HTTP_HX_REQUEST="true"
    )
    assert resp.status_code == 400
    assert "无法识别的音频格式" in resp.content.decode()
    assert CallRecording.objects.count() == 0


def test_missing_file_message_is_in_the_ui_language_only(client, people, bj_case):
    """Issue 14: the upload form's required file says one language: Chinese by default, English under en."""
    client.force_login(people.bj_handler)
    url = reverse("recordings:case_panel", args=[bj_case.reference])
    data = {"language": "zh", "direction": "inbound", "channel": "hotline"}
    zh = client.post(url, data, HTTP_HX_REQUEST="true").content.decode()
    assert "请选择录音文件" in zh and "Choose a file" not in zh
    client.cookies["django_language"] = "en"
    en = client.post(url, data, HTTP_HX_REQUEST="true").content.decode()
    assert "Choose a file" in en and "请选择录音文件" not in en
    assert CallRecording.objects.count() == 0


def test_upload_to_a_case_of_another_branch_is_404(client, people, org_tree, short_tone_wav):
    sh_case = ComplaintFactory(responsible_org=org_tree.sh)
    client.force_login(people.bj_handler)
    resp = client.post(
        reverse("recordings:case_panel", args=[sh_case.reference]),
        {"file": upload_of(short_tone_wav), "language": "zh", "direction": "inbound", "channel": "hotline"},
    )
    assert resp.status_code == 404
    api = client.post(
        reverse("recordings_api:list"), {"file": upload_of(short_tone_wav), "complaint": sh_case.reference}
    )
    assert api.status_code == 404
    assert CallRecording.objects.count() == 0


def test_api_upload_created_then_existing(client, people, bj_case, short_tone_wav):
    client.force_login(people.agent)
    url = reverse("recordings_api:list")
    first = client.post(url, {"file": upload_of(short_tone_wav), "complaint": bj_case.reference, "language": "en"})
    assert first.status_code == 201, first.content
    assert first.json()["status"] == "queued" and first.json()["complaint"] == bj_case.reference
    second = client.post(url, {"file": upload_of(short_tone_wav), "complaint": bj_case.reference})
    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]


def test_api_rejection_has_the_error_shape(client, people, bj_case):
    client.force_login(people.agent)
    resp = client.post(
        reverse("recordings_api:list"), {"file": SimpleUploadedFile("x.wav", b""), "complaint": bj_case.reference}
    )
    assert resp.status_code == 400
    err = resp.json()["error"]
    assert err["code"] == "validation_error" and "空" in err["message"]
    assert CallRecording.objects.count() == 0


@pytest.mark.parametrize("suffix, fmt", [(".mp3", "mp3"), (".m4a", "m4a"), (".ogg", "ogg"), (".amr", "amr")])
def test_phone_formats_are_accepted(people, bj_case, short_tone_wav, tmp_path, suffix, fmt):
    from tests.recordings import audio_factory as af

    if suffix == ".amr":
        encoded = af.amr_nb(tmp_path / "call.amr", 3)
    else:
        encoded = af.encode(short_tone_wav, tmp_path / f"call{suffix}")
    rec = recording_upload(uploaded_by=people.bj_handler, upload=upload_of(encoded), complaint=bj_case).recording
    assert rec.audio_format == fmt and rec.status == CallRecording.Status.QUEUED
    assert rec.file.name.endswith(f".{fmt}")
