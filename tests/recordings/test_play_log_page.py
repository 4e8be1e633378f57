"""The play log reads as people speak (issue 14, item 8): who (by name) played which recording
of which case, when; filters by person, recording, case and the bank's local days; keyset
pages; only head-office auditors read it."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from accounts.models import User
from recordings.models import ListeningEvent
from recordings.services import listening_event_record

from .conftest import make_recording

pytestmark = pytest.mark.django_db
TZ = ZoneInfo(settings.TIME_ZONE)


def _named(user, name: str):
    User.objects.filter(pk=user.pk).update(display_name=name)
    return User.objects.get(pk=user.pk)


def _play(user, rec, when: dt.datetime | None = None, version="redacted") -> ListeningEvent:
    if when is None:
        return listening_event_record(user=user, recording=rec, version=version)
    with time_machine.travel(when, tick=False):
        return listening_event_record(user=user, recording=rec, version=version)


def _page(client, user, **params) -> str:
    client.force_login(user)
    response = client.get(reverse("recordings:plays"), params)
    assert response.status_code == 200
    return response.content.decode()


def _rows(body: str) -> list[str]:
    return re.findall(r'<tr data-play="(\d+)"', body)


def test_the_log_names_the_listener_and_the_recordings_case(client, people, estate):
    listener = _named(people.bj_listener, "赵静")
    rec = estate.bj_recs[0]
    _play(listener, rec)
    body = _page(client, people.auditor)
    case = rec.complaint
    assert f'<a href="{reverse("workflow:case", args=[case.pk])}" data-case>{case.reference}</a>' in body
    assert "<td>赵静</td>" in body and listener.username not in body.split("<tbody>")[1]
    assert "赵静（北京分行）" in body  # the person picker: name and organisation


def test_an_unlinked_recording_says_so(client, people, estate):
    rec = make_recording(estate.bj_cases[0], tag="u")
    rec.complaint = None
    rec.save(update_fields=["complaint"])
    _play(people.bj_listener, rec)
    assert "未关联" in _page(client, people.auditor)


def test_filter_by_person(client, people, estate):
    mine = _play(people.bj_listener, estate.bj_recs[0])
    _play(people.sh_listener, estate.sh_recs[0])
    assert _rows(_page(client, people.auditor, actor=people.bj_listener.pk)) == [str(mine.pk)]


def test_filter_by_recording_and_by_case(client, people, estate):
    first = _play(people.bj_listener, estate.bj_recs[0])
    second = _play(people.bj_listener, estate.bj_recs[1])  # the same case, another recording
    _play(people.bj_listener, estate.bj_recs[2])  # another case
    assert _rows(_page(client, people.auditor, recording=estate.bj_recs[0].pk)) == [str(first.pk)]
    reference = estate.bj_recs[0].complaint.reference
    assert _rows(_page(client, people.auditor, case=reference)) == [str(second.pk), str(first.pk)]
    assert _rows(_page(client, people.auditor, case="VOC-2026-9999999")) == []


def test_filter_by_local_days(client, people, estate):
    rec = estate.bj_recs[0]
    early_7th = _play(people.bj_listener, rec, dt.datetime(2026, 12, 7, 0, 30, tzinfo=TZ))  # 6 Dec in UTC
    _play(people.sh_listener, estate.sh_recs[0], dt.datetime(2026, 12, 6, 23, 30, tzinfo=TZ))
    _play(people.sh_listener, estate.sh_recs[0], dt.datetime(2026, 12, 8, 0, 0, tzinfo=TZ))
    assert _rows(_page(client, people.auditor, date_from="2026-12-07", date_to="2026-12-07")) == [str(early_7th.pk)]


def test_pages_follow_each_other_by_keyset(client, people, estate):
    plays = [_play(people.bj_listener, estate.bj_recs[0]) for _ in range(52)]
    first = _page(client, people.auditor)
    assert _rows(first) == [str(p.pk) for p in reversed(plays[-50:])]
    after = re.search(r'after=([\w-]+)" rel="next"', first)[1]
    assert _rows(_page(client, people.auditor, after=after)) == [str(p.pk) for p in reversed(plays[:2])]


@pytest.mark.parametrize("who", ["bj_manager", "bj_listener", "ho_officer"])
def test_others_still_get_404(client, people, estate, who):
    _play(people.bj_listener, estate.bj_recs[0])
    client.force_login(getattr(people, who))
    assert client.get(reverse("recordings:plays"), {"case": estate.bj_cases[0].reference}).status_code == 404


def test_the_audit_trail_names_the_recording_and_its_case(client, people, estate):
    rec = estate.bj_recs[0]
    _play(people.ho_officer, rec, version="original")  # a play of the original is also audited
    client.force_login(people.auditor)
    body = client.get(reverse("accounts:audit_log"), {"case": rec.complaint.reference}).content.decode()
    assert f'<a href="{reverse("recordings:detail", args=[rec.pk])}">录音 #{rec.pk}</a>' in body
    assert f'<a href="{reverse("workflow:case", args=[rec.complaint_id])}">{rec.complaint.reference}</a>' in body
    assert "<dt>途径</dt><dd>页面</dd>" in body
