"""The case panel and recording page: live status with htmx polling, the synced player,
navigation per role, and timeline entries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import roles
from recordings.models import CallRecording
from recordings.navigation import links_for
from recordings.timeline import entries_for

from .conftest import make_recording

pytestmark = pytest.mark.django_db


def test_status_row_polls_while_queued_and_stops_with_the_player_when_done(client, people, estate):
    rec = estate.bj_recs[0]
    other = estate.bj_recs[1]
    CallRecording.objects.filter(pk__in=[rec.pk, other.pk]).update(status=CallRecording.Status.QUEUED)
    CallRecording.objects.filter(pk=other.pk).update(queued_at=rec.queued_at.replace(year=2020))
    client.force_login(people.bj_handler)
    queued = client.get(reverse("recordings:status", args=[rec.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in queued and "队列第 2 位" in queued and "<audio" not in queued
    CallRecording.objects.filter(pk=rec.pk).update(status=CallRecording.Status.PROCESSING)
    processing = client.get(reverse("recordings:status", args=[rec.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in processing and "转写中" in processing and "队列第" not in processing
    CallRecording.objects.filter(pk=rec.pk).update(status=CallRecording.Status.DONE)
    done = client.get(reverse("recordings:status", args=[rec.pk])).content.decode()
    assert "hx-trigger" not in done
    assert f"/recordings/{rec.pk}/audio/redacted/?play=" in done and 'preload="none"' in done
    assert 'data-start="0.00"' in done and "[card number removed]" in done and "6222" not in done


def test_case_page_renders_the_recordings_panel(client, people, estate):
    case = estate.bj_cases[0]
    client.force_login(people.bj_handler)
    body = client.get(reverse("workflow:case", args=[case.pk])).content.decode()
    assert "data-rec-panel" in body and "recordings/recordings.js" in body
    assert body.count('class="rec-row"') == 2
    assert 'hx-post="/recordings/case/' in body  # the upload form
    client.force_login(people.auditor)
    body = client.get(reverse("workflow:case", args=[case.pk])).content.decode()
    assert "data-rec-panel" in body and 'hx-post="/recordings/case/' not in body  # read-only: no upload


def test_failed_status_shows_the_reason(client, people, estate):
    rec = estate.bj_recs[0]
    CallRecording.objects.filter(pk=rec.pk).update(
        status=CallRecording.Status.FAILED, failure_reason="音频解码失败 / decode failed"
    )
    client.force_login(people.bj_handler)
    row = client.get(reverse("recordings:status", args=[rec.pk])).content.decode()
    assert "音频解码失败" in row and "hx-trigger" not in row


@pytest.mark.parametrize(
    "role, keys",
    [
        (roles.AGENT, {"recordings", "suspected"}),
        (roles.LISTENING_MANAGER, {"listen"}),
        (roles.AUDITOR, {"recordings", "plays"}),
        (roles.BRANCH_HANDLER, {"recordings", "listen"}),
    ],
)
def test_navigation_per_role(org_tree, make_user, role, keys):
    org = org_tree.ho if role in roles.HEAD_OFFICE_ROLES else org_tree.bj
    assert {link.key for link in links_for(make_user(role, org))} == keys


def test_timeline_entries_never_carry_transcript_text(people, estate):
    case = estate.bj_cases[0]
    entries = entries_for(case)
    assert len([e for e in entries if e["kind"] == "recording_upload"]) == 2
    assert all("card" not in str(e) and "6222" not in str(e) for e in entries)


def test_recording_page_for_a_phone(client, people, estate):
    rec = make_recording(estate.bj_cases[0], tag="ph")
    client.force_login(people.bj_handler)
    body = client.get(reverse("recordings:detail", args=[rec.pk])).content.decode()
    assert "data-player" in body and "data-rec-search" in body and 'name="viewport"' in body


def test_recording_page_suggests_codes_to_those_who_register(client, people, estate):
    rec = estate.bj_recs[0]
    client.force_login(people.agent)
    body = client.get(reverse("recordings:detail", args=[rec.pk])).content.decode()
    assert "data-code-suggestions" in body and "B030202" in body and "annual" in body
    client.force_login(people.auditor)
    assert "data-code-suggestions" not in client.get(reverse("recordings:detail", args=[rec.pk])).content.decode()


def test_queue_positions_count_the_whole_queue_in_one_query(client, people, estate, django_assert_max_num_queries):
    from datetime import timedelta

    from django.utils import timezone

    from recordings.models import CallRecording
    from recordings.selectors import queue_position

    from .conftest import make_recording

    t0 = timezone.now() - timedelta(hours=1)
    queued = CallRecording.Status.QUEUED
    sh_first = make_recording(estate.sh_cases[0], status=queued, tag="q0")  # ahead, but not visible to BJ
    bj_recs = [make_recording(estate.bj_cases[0], status=queued, tag=f"q{i}") for i in (1, 2, 3)]
    for rec, minutes in zip([sh_first, *bj_recs], [0, 5, 10, 10], strict=True):  # a tie: the lower id first
        CallRecording.objects.filter(pk=rec.pk).update(queued_at=t0 + timedelta(minutes=minutes))
    client.force_login(people.bj_handler)
    url = reverse("recordings_api:list") + "?status=queued"
    with django_assert_max_num_queries(12) as three:
        rows = client.get(url).json()["results"]
    assert {r["id"]: r["queue_position"] for r in rows} == {bj_recs[0].pk: 2, bj_recs[1].pk: 3, bj_recs[2].pk: 4}
    assert queue_position(CallRecording.objects.get(pk=bj_recs[2].pk)) == 4
    for i in range(4, 10):
        make_recording(estate.bj_cases[0], status=queued, tag=f"q{i}")
    with django_assert_max_num_queries(len(three.captured_queries)):
        assert len(client.get(url).json()["results"]) == 9


def test_the_review_queue_lists_held_copies_oldest_first_for_reviewers_only(client, people, org_tree):
    from django.utils import timezone

    from tests.complaints.factories import ComplaintFactory

    bj, sh = ComplaintFactory(responsible_org=org_tree.bj), ComplaintFactory(responsible_org=org_tree.sh)
    newer, older, fine = (make_recording(c, tag=t) for c, t in ((bj, "n"), (sh, "o"), (bj, "f")))
    now = timezone.now()
    CallRecording.objects.filter(pk=newer.pk).update(redaction="review", finished_at=now)
    CallRecording.objects.filter(pk=older.pk).update(redaction="review", finished_at=now - timezone.timedelta(hours=1))
    assert any(link.key == "redaction_review" for link in links_for(people.ho_officer))
    assert not any(link.key == "redaction_review" for link in links_for(people.bj_handler))
    client.force_login(people.ho_officer)
    page = client.get(reverse("recordings:list"), {"redaction": "review"})
    assert [r.pk for r in page.context["page"]] == [older.pk, newer.pk]
    assert "脱敏待复核" in page.content.decode() and fine.original_name not in page.content.decode()
