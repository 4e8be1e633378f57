"""A year without holiday data: deadlines estimated Monday-Friday, said so on the pages; when the
year's file arrives, running processes pick it up and ``recompute_due_dates`` moves the stored
deadlines, each move on the case's timeline."""

from __future__ import annotations

import io
import json
import logging
import shutil
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from workflow import hooks, selectors, work_calendar
from workflow.calendar import HOLIDAY_DIR
from workflow.models import CaseTransition, VerificationRequest
from workflow.timeline import timeline_entries

from .conftest import at, fresh, put

pytestmark = pytest.mark.django_db

NEW_YEAR_2027 = {
    "year": 2027,
    "source": "test data: New Year's Day only",
    "holidays": [{"date": "2027-01-01", "name_zh": "元旦", "name_en": "New Year's Day"}],
    "workdays": [],
}


@pytest.fixture
def holiday_dir(tmp_path, monkeypatch):
    """A copy of the shipped data (2025, 2026) that the test can add a year to."""
    for year in (2025, 2026):
        shutil.copy(HOLIDAY_DIR / f"cn_{year}.json", tmp_path)
    monkeypatch.setattr(work_calendar, "HOLIDAY_DIR", tmp_path)
    monkeypatch.setattr("workflow.management.commands.recompute_due_dates.HOLIDAY_DIR", tmp_path)
    monkeypatch.setattr(work_calendar, "_loaded", None)
    return tmp_path


def add_year(directory, doc) -> None:
    (directory / f"cn_{doc['year']}.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def cases(holiday_dir, org_tree, staff, new_case):
    # Received Thu 17 Dec 2026: 15 days -> Fri 1 Jan 2027, a working day while 2027 has no data.
    running = put(new_case(org_tree.bj, received_at=at(2026, 12, 17)), "investigating", assigned_to=staff.bj_handler)
    paused = put(new_case(org_tree.bj, received_at=at(2026, 12, 17)), "paused", paused_since=at(2026, 12, 20))
    closed = put(new_case(org_tree.bj, received_at=at(2026, 12, 17)), "closed")
    checking = put(new_case(org_tree.sh, received_at=at(2026, 11, 1)), "verification")
    VerificationRequest.objects.create(
        complaint=checking,
        requested_on=date(2026, 12, 2),  # 30 days -> Fri 1 Jan 2027
        upper_org=org_tree.ho,
        reason="客户要求核实",
        due_date=date(2027, 1, 1),
        recorded_by=staff.ho_officer,
        recorded_at=at(2026, 12, 2),
    )
    put(checking, "verification", due_date=date(2027, 1, 1))
    return {"running": running, "paused": paused, "closed": closed, "checking": checking}


def test_a_deadline_in_a_year_without_data_is_marked_as_estimated(cases):
    running = fresh(cases["running"])
    assert running.due_date == date(2027, 1, 1)
    assert selectors.clock_for(running, now=at(2026, 12, 18)).calendar_estimated
    assert selectors.calendar_gaps(date(2026, 11, 25)) == [2027]
    assert selectors.calendar_gaps(date(2026, 3, 1)) == []


def test_a_new_year_file_reaches_the_running_process_and_recompute_moves_the_deadlines(cases, holiday_dir):
    before = {k: fresh(c).due_date for k, c in cases.items()}
    add_year(holiday_dir, NEW_YEAR_2027)
    assert 2027 in hooks.work_calendar().known_years  # no restart, no cache clearing
    assert selectors.calendar_gaps(date(2026, 11, 25)) == []

    out = io.StringIO()
    call_command("recompute_due_dates", stdout=out)
    assert "Holiday data for: 2025, 2026, 2027" in out.getvalue()
    assert "Checked 2 running cases; 2 due dates moved." in out.getvalue()

    running, checking = fresh(cases["running"]), fresh(cases["checking"])
    assert running.due_date == date(2027, 1, 4)  # 1 Jan is a holiday, 2-3 Jan a weekend
    assert not selectors.clock_for(running, now=at(2026, 12, 18)).calendar_estimated
    assert checking.due_date == date(2027, 1, 4)
    assert checking.verifications.get().due_date == date(2027, 1, 4)
    assert fresh(cases["paused"]).due_date == before["paused"]  # recomputed when it resumes
    assert fresh(cases["closed"]).due_date == before["closed"]

    moves = CaseTransition.objects.filter(action="due_date_recomputed")
    assert sorted(moves.values_list("complaint_id", flat=True)) == sorted([running.pk, checking.pk])
    move = moves.get(complaint=running)
    assert (move.from_state, move.to_state) == ("investigating", "investigating")
    assert move.data == {"due_date": "2027-01-04", "previous_due_date": "2027-01-01"}
    entry = next(e for e in timeline_entries(running) if e.kind == "due_date_recomputed")
    assert entry.title == "时限重算" and "2027-01-04" in entry.detail
    audit = AuditEvent.objects.get(action="workflow.due_dates_recomputed")
    assert audit.detail["moved"] == 2 and audit.detail["years"] == [2025, 2026, 2027]

    out = io.StringIO()
    call_command("recompute_due_dates", stdout=out)  # idempotent
    assert "0 due dates moved" in out.getvalue()
    assert moves.count() == 2


def test_an_invalid_file_changes_nothing_and_the_running_calendar_stays(cases, holiday_dir, caplog):
    assert hooks.work_calendar().known_years == {2025, 2026}
    add_year(holiday_dir, {**NEW_YEAR_2027, "workdays": ["2027-01-06"]})  # a Wednesday: not an adjusted workday
    with caplog.at_level(logging.ERROR, logger="workflow.work_calendar"):
        assert hooks.work_calendar().known_years == {2025, 2026}
    assert "invalid holiday data" in caplog.text
    with pytest.raises(CommandError, match="cn_2027.json"):
        call_command("recompute_due_dates")
    assert fresh(cases["running"]).due_date == date(2027, 1, 1)
    assert not CaseTransition.objects.filter(action="due_date_recomputed").exists()


def test_pages_warn_about_missing_years_and_the_case_shows_its_estimate(client, cases, staff, holiday_dir):
    gaps = selectors.calendar_gaps()
    client.force_login(staff.bj_manager)
    page = client.get(reverse("workflow:inbox")).content.decode()
    if gaps:  # true until the shipped data covers today + 90 days
        assert 'id="wf-calendar-gap"' in page and f"{gaps[0]} 年的节假日安排" in page
        assert "recompute_due_dates" not in page  # the how-to is for administrators
    case_page = client.get(reverse("workflow:case", args=[cases["running"].pk])).content.decode()
    assert 'id="wf-due-estimated"' in case_page

    client.force_login(staff.ho_officer)
    overview = client.get(reverse("workflow:overview")).content.decode()
    assert ('id="wf-calendar-gap"' in overview) == bool(gaps)
    if gaps:  # head-office staff read what it means, not a file name and a command
        assert f"{gaps[0]} 年的节假日安排" in overview
        assert "cn_" not in overview and "recompute_due_dates" not in overview
    staff.ho_officer.is_staff = True  # an administrator of the system gets the how-to
    staff.ho_officer.save(update_fields=["is_staff"])
    overview = client.get(reverse("workflow:overview")).content.decode()
    if gaps:
        assert f"cn_{gaps[0]}.json" in overview and "recompute_due_dates" in overview

    today = timezone.localdate()
    for year in (today.year, today.year + 1):
        if not (holiday_dir / f"cn_{year}.json").exists():
            add_year(holiday_dir, {"year": year, "holidays": [], "workdays": []})
    assert selectors.calendar_gaps() == []
    assert 'id="wf-calendar-gap"' not in client.get(reverse("workflow:overview")).content.decode()
    assert 'id="wf-calendar-gap"' not in client.get(reverse("workflow:inbox")).content.decode()
