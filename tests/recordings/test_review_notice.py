"""A listening copy held for review is announced to the reviewers (those who may hear the
original), once a day however many copies are held, with a link to the review queue."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Notification
from recordings.models import CallRecording
from recordings.pipeline import Transcript
from recordings.redaction import SegmentText
from recordings.services import recording_transcribe, recording_upload
from tests.complaints.factories import ComplaintFactory

from .conftest import tts, upload_of

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _untimed(wav, **kwargs):
    """An engine result without word times: the copy is muted whole and held for review."""
    seg = SegmentText(0.0, 2.5, "My card number is 6222 0212 3456 7890.", ())
    return Transcript("en", 3.0, "faster-whisper", "x", [seg], [0.9], speech=[(0.1, 2.4)])


def _held(people, org_tree, tmp_path, n):
    case = ComplaintFactory(responsible_org=org_tree.bj)
    wav = tts(tmp_path / f"s{n}.wav", f"My card number is six two two {n}.")
    rec = recording_upload(uploaded_by=people.bj_handler, upload=upload_of(wav), complaint=case, language="en")
    assert recording_transcribe(recording_id=rec.recording.pk) == "done"
    rec.recording.refresh_from_db()
    assert rec.recording.redaction == CallRecording.Redaction.REVIEW
    return rec.recording


def test_reviewers_hear_of_held_copies_once_a_day(people, org_tree, tmp_path, monkeypatch):
    monkeypatch.setattr("recordings.services.transcription.transcribe_audio", _untimed)
    with time_machine.travel(dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC), tick=False):
        _held(people, org_tree, tmp_path, 1)
        _held(people, org_tree, tmp_path, 2)
    notes = Notification.objects.filter(kind="recording_redaction_review")
    assert sorted(n.recipient_id for n in notes) == [people.ho_officer.pk]  # the reviewers only, once
    note = notes.get()
    assert note.url == reverse("recordings:list") + "?redaction=review"
    assert not any(ch.isdigit() for ch in note.title + note.body)  # no number of any call in the notice
    with time_machine.travel(dt.datetime(2026, 12, 8, 9, 0, tzinfo=dt.UTC), tick=False):
        _held(people, org_tree, tmp_path, 3)
    assert notes.all().count() == 2  # a new day, a new notice
