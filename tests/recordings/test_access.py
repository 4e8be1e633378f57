"""Who sees and hears what: unequal branches (BJ 3 recordings incl. a sub-branch, SH 5),
originals vs redacted per role, fail closed, and every play logged."""

from __future__ import annotations

import hashlib
import wave
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from recordings.models import CallRecording, ListeningEvent
from recordings.selectors import recordings_visible_to
from recordings.services import recording_upload
from tests.recordings import audio_factory as af

from .conftest import make_recording, upload_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "who, expected",
    [("bj_handler", 3), ("bj_manager", 3), ("bj_cy_handler", 1), ("sh_handler", 5), ("ho_officer", 8), ("auditor", 8)],
)
def test_each_user_sees_exactly_their_recordings(client, people, estate, who, expected):
    user = getattr(people, who)
    assert recordings_visible_to(user).count() == expected
    client.force_login(user)
    assert client.get(reverse("recordings_api:list")).json()["count"] == expected
    page = client.get(reverse("recordings:list")).content.decode()
    assert page.count('href="/recordings/') - page.count('href="/recordings/?') >= expected


def _endpoints(rec):
    return [
        reverse("recordings:detail", args=[rec.pk]),
        reverse("recordings:status", args=[rec.pk]),
        reverse("recordings:audio", args=[rec.pk, "redacted"]),
        reverse("recordings:codes", args=[rec.pk]),
        reverse("recordings:case", args=[rec.complaint.reference]),
        reverse("recordings:case_panel", args=[rec.complaint.reference]),
        reverse("recordings_api:detail", args=[rec.pk]),
        reverse("recordings_api:audio", args=[rec.pk, "redacted"]),
        reverse("recordings_api:code_suggestions", args=[rec.pk]),
    ]


def test_other_branch_recordings_are_404_everywhere(client, people, estate):
    client.force_login(people.bj_handler)
    for rec in estate.sh_recs[:2]:
        for url in _endpoints(rec):
            assert client.get(url).status_code == 404, url
    for url in _endpoints(estate.bj_recs[0]):
        assert client.get(url).status_code == 200, url
    # a sub-branch handler does not see the parent branch's own cases
    client.force_login(people.bj_cy_handler)
    assert client.get(_endpoints(estate.bj_recs[0])[0]).status_code == 404
    assert client.get(_endpoints(estate.bj_recs[2])[0]).status_code == 200
    assert ListeningEvent.objects.filter(user=people.bj_handler).count() == 2  # the two 200 plays, page + API


def test_branch_handler_gets_redacted_text_and_audio_only(client, people, estate):
    rec = estate.bj_recs[0]
    client.force_login(people.bj_handler)
    body = client.get(reverse("recordings:detail", args=[rec.pk]) + "?original=1").content.decode()
    assert "6222021234567890" not in body and "[card number removed]" in body
    assert "audio/original" not in body
    assert client.get(reverse("recordings:audio", args=[rec.pk, "original"])).status_code == 404
    api = client.get(reverse("recordings_api:detail", args=[rec.pk]) + "?transcript=original").json()
    assert api["transcript_version"] == "redacted" and api["playable_versions"] == ["redacted"]
    assert "6222" not in str(api)
    assert not AuditEvent.objects.filter(action="recording.transcript_unmasked").exists()


def test_ho_officer_may_hear_the_original_and_it_is_audited(client, people, estate):
    rec = estate.bj_recs[0]
    client.force_login(people.ho_officer)
    body = client.get(reverse("recordings:detail", args=[rec.pk]) + "?original=1").content.decode()
    assert "6222021234567890" in body
    assert AuditEvent.objects.filter(action="recording.transcript_unmasked", actor=people.ho_officer).count() == 1
    resp = client.get(reverse("recordings:audio", args=[rec.pk, "original"]))
    assert resp.status_code == 200 and resp["Cache-Control"] == "private, no-store"
    assert b"".join(resp.streaming_content)[:4] == b"RIFF"
    assert ListeningEvent.objects.get(user=people.ho_officer).version == "original"
    assert AuditEvent.objects.filter(action="recording.play_original", actor=people.ho_officer).exists()


def test_one_play_is_one_event_even_with_range_requests(client, people, estate):
    rec = estate.bj_recs[0]
    client.force_login(people.bj_handler)
    url = reverse("recordings:audio", args=[rec.pk, "redacted"]) + "?play=abc123"
    first = client.get(url, HTTP_RANGE="bytes=0-")
    assert first.status_code == 206 and first["Content-Range"].startswith("bytes 0-")
    seek = client.get(url, HTTP_RANGE="bytes=5000-")
    assert seek.status_code == 206
    again = client.get(url, HTTP_RANGE="bytes=0-")
    assert again.status_code == 206
    assert ListeningEvent.objects.filter(recording=rec).count() == 1
    client.get(reverse("recordings:audio", args=[rec.pk, "redacted"]) + "?play=def456")
    client.get(reverse("recordings_api:audio", args=[rec.pk, "redacted"]))
    events = list(ListeningEvent.objects.filter(recording=rec).order_by("id"))
    assert [(e.version, e.via) for e in events] == [("redacted", "page"), ("redacted", "page"), ("redacted", "api")]


def test_fail_closed_when_redaction_failed(client, people, org_tree):
    from tests.complaints.factories import ComplaintFactory

    rec = make_recording(ComplaintFactory(responsible_org=org_tree.bj), redacted=False, tag="fc")
    client.force_login(people.bj_handler)
    assert client.get(reverse("recordings:audio", args=[rec.pk, "redacted"])).status_code == 404
    body = client.get(reverse("recordings:detail", args=[rec.pk])).content.decode()
    assert "无法可靠脱敏" in body and "<audio" not in body
    panel = client.get(reverse("recordings:case_panel", args=[rec.complaint.reference])).content.decode()
    assert "无法可靠脱敏" in panel
    client.force_login(people.ho_officer)
    assert client.get(reverse("recordings:audio", args=[rec.pk, "original"])).status_code == 200
    assert client.get(reverse("recordings:audio", args=[rec.pk, "redacted"])).status_code == 404


def test_listening_events_have_no_update_or_delete_path(people, estate):
    from django.contrib import admin

    model_admin = admin.site._registry[ListeningEvent]
    assert not model_admin.has_change_permission(None) and not model_admin.has_delete_permission(None)
    assert not model_admin.has_add_permission(None)


def test_play_log_is_for_auditors_only(client, people, estate):
    rec = estate.sh_recs[0]
    client.force_login(people.sh_handler)
    client.get(reverse("recordings:audio", args=[rec.pk, "redacted"]))
    client.force_login(people.bj_manager)
    assert client.get(reverse("recordings:plays")).status_code == 404
    client.force_login(people.auditor)
    page = client.get(reverse("recordings:plays")).content.decode()
    assert people.sh_handler.username in page and f"#{rec.pk}" in page
    assert CallRecording.objects.get(pk=rec.pk).plays.count() == 1


def test_an_amr_original_plays_in_the_browser_as_a_wav_listening_copy(client, people, estate, tmp_path):
    amr = af.amr_nb(tmp_path / "call.amr", 3)
    case = estate.bj_recs[0].complaint
    rec = recording_upload(uploaded_by=people.bj_handler, upload=upload_of(amr), complaint=case).recording
    original = Path(rec.file.path)
    digest = hashlib.sha256(original.read_bytes()).hexdigest()
    url = reverse("recordings:audio", args=[rec.pk, "original"])

    client.force_login(people.bj_handler)  # the original is not for branch staff, copy or not
    assert client.get(url).status_code == 404

    client.force_login(people.ho_officer)
    resp = client.get(url)
    assert resp.status_code == 200 and resp["Content-Type"] == "audio/wav"
    assert resp["Cache-Control"] == "private, no-store"
    body = b"".join(resp.streaming_content)
    copy = original.with_name(original.name + ".listen.wav")
    assert body == copy.read_bytes() and body[:4] == b"RIFF"
    with wave.open(str(copy), "rb") as w:
        assert w.getnframes() / w.getframerate() == pytest.approx(3.0, abs=0.1)
    made = copy.stat().st_mtime_ns
    ranged = client.get(url, HTTP_RANGE="bytes=100-")
    assert ranged.status_code == 206 and ranged["Content-Range"].endswith(f"/{len(body)}")
    assert copy.stat().st_mtime_ns == made  # made once, then reused
    assert hashlib.sha256(original.read_bytes()).hexdigest() == digest  # the evidence is untouched
    assert ListeningEvent.objects.filter(recording=rec, version="original", user=people.ho_officer).count() == 1
