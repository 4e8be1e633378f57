"""Unlinked calls that sound like complaints show up in a queue, with the words that triggered
it; code suggestions name the words behind them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from recordings.models import CallRecording
from recordings.services import recording_link, recording_transcribe, recording_upload
from tests.complaints.factories import ComplaintFactory

from .conftest import tts, upload_of

pytestmark = pytest.mark.django_db


@pytest.mark.slow
def test_unlinked_complaint_call_is_queued_as_suspected(client, people, org_tree, tmp_path):
    wav = tts(tmp_path / "angry.wav", "I want to complain. You overcharged my credit card annual fee. I want a refund.")
    rec = recording_upload(uploaded_by=people.bj_handler, upload=upload_of(wav), language="en").recording
    calm = tts(tmp_path / "calm.wav", "Hello, what time does the branch open tomorrow? Thank you.")
    other = recording_upload(uploaded_by=people.bj_handler, upload=upload_of(calm), language="en").recording
    recording_transcribe(recording_id=rec.pk)
    recording_transcribe(recording_id=other.pk)
    rec.refresh_from_db()
    other.refresh_from_db()
    assert rec.suspect == CallRecording.Suspect.OPEN
    assert {"complain", "refund"} <= {h["rule"] for h in rec.suspect_hits}
    assert other.suspect == ""

    client.force_login(people.agent)
    queue = client.get(reverse("recordings:suspected")).content.decode()
    assert f'data-suspect="{rec.pk}"' in queue and f'data-suspect="{other.pk}"' not in queue
    assert "客户明确提出投诉" in queue
    client.force_login(people.sh_listener)
    assert client.get(reverse("recordings:suspected")).status_code == 404

    codes = client.get(reverse("recordings:codes", args=[rec.pk]))
    assert codes.status_code == 404  # not in the SH listener's scope
    client.force_login(people.agent)
    b = client.get(reverse("recordings:codes", args=[rec.pk])).json()["suggestions"]["B"]
    text = " ".join(rec.segments.values_list("text_redacted", flat=True)).lower()
    assert any(s["code"].startswith("B0302") for s in b)  # a credit-card code
    assert all(s["words"] and all(w in text for w in s["words"]) for s in b)  # each explained by its words

    case = ComplaintFactory(responsible_org=org_tree.bj)
    recording_link(actor=people.agent, recording=rec, complaint=case)
    rec.refresh_from_db()
    assert rec.suspect == CallRecording.Suspect.LINKED and rec.complaint == case
    assert f'data-suspect="{rec.pk}"' not in client.get(reverse("recordings:suspected")).content.decode()


def test_dismissing_a_suspect_takes_it_off_the_queue(client, people, org_tree, estate):
    rec = estate.bj_recs[0]
    CallRecording.objects.filter(pk=rec.pk).update(
        complaint=None,
        suspect="open",
        suspect_hits=[
            {
                "rule": "complain",
                "phrase": "投诉",
                "segment": 0,
                "start_s": 0,
                "weight": 3,
                "reason_zh": "客户明确提出投诉",
                "reason_en": "x",
            }
        ],
    )
    client.force_login(people.bj_manager)
    assert f'data-suspect="{rec.pk}"' in client.get(reverse("recordings:suspected")).content.decode()
    client.force_login(people.sh_handler)
    assert client.post(reverse("recordings:dismiss", args=[rec.pk])).status_code == 404
    client.force_login(people.bj_manager)
    client.post(reverse("recordings:dismiss", args=[rec.pk]))
    rec.refresh_from_db()
    assert rec.suspect == CallRecording.Suspect.DISMISSED


def test_transcript_search_for_intake_is_scoped_and_uses_redacted_text(people, estate):
    from recordings.selectors import complaint_ids_matching_transcript

    bj_ids = set(
        complaint_ids_matching_transcript("annual fee", people.bj_handler).values_list("complaint_id", flat=True)
    )
    assert bj_ids == {c.pk for c in estate.bj_cases}
    assert set(
        complaint_ids_matching_transcript("annual fee", people.ho_officer).values_list("complaint_id", flat=True)
    ) == {c.pk for c in estate.bj_cases + estate.sh_cases}
    assert not complaint_ids_matching_transcript("6222021234567890", people.ho_officer).exists()


def test_complaint_search_finds_cases_by_what_was_said_on_the_call(client, people, estate):
    """The case list's text search also looks in (redacted) call transcripts, scoped."""
    from django.urls import reverse

    # The factories' summaries say nothing about "annual fee"; only the transcripts do.
    client.force_login(people.bj_handler)
    body = client.get(reverse("complaints:list"), {"q": "annual fee"}).content.decode()
    assert {c.reference for c in estate.bj_cases} == {c.reference for c in estate.bj_cases if c.reference in body}
    assert not any(c.reference in body for c in estate.sh_cases)
    client.force_login(people.ho_officer)
    body = client.get(reverse("complaints:list"), {"q": "annual fee"}).content.decode()
    assert all(c.reference in body for c in estate.bj_cases + estate.sh_cases)
    # A card number spoken on the call is not searchable: only redacted text is indexed.
    body = client.get(reverse("complaints:list"), {"q": "6222021234567890"}).content.decode()
    assert not any(c.reference in body for c in estate.bj_cases + estate.sh_cases)
