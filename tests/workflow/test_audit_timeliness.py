"""Auditor's checklist, issue 17 point 1: timeliness is derived once and cannot be rewritten.

Each point is first reproduced as the compliance officer found it (the bad path), then
shown refused or recorded correctly. The decision deadline comes from
``workflow.timeliness`` only (receipt, approved extension, pauses, the log, the calendar);
the case page, the inbox, the escalation job, analytics and the export all agree with it.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.urls import reverse

from accounts.models import User
from analytics.models import DailyRollup
from complaints.models import Complaint
from complaints.states import CaseState
from tests.conftest import PINNED_TODAY
from tests.workflow.conftest import at, fresh, put
from workflow import services
from workflow.selectors import clock_for, inbox_for
from workflow.timeliness import timeliness_many, timeliness_of, timely_label

pytestmark = pytest.mark.django_db


def _walk_to_responded(c, staff, *, respond_on: date):
    """Route → … → respond through the services, the answer told on ``respond_on``."""
    day = c.received_at
    services.case_route(complaint_id=c.pk, actor=staff.ho_officer, now=day + timedelta(minutes=20))
    services.case_accept(complaint_id=c.pk, actor=staff.bj_handler, now=day + timedelta(hours=1))
    services.case_start_investigation(complaint_id=c.pk, actor=staff.bj_handler, now=day + timedelta(hours=2))
    services.case_draft_decision(
        complaint_id=c.pk,
        actor=staff.bj_handler,
        text="经核实，退还年费。",
        proposed_result="upheld",
        redress_amount="300",
        redress_type="refund",
        root_cause="C0202",
        now=day + timedelta(hours=3),
    )
    services.case_submit_for_review(complaint_id=c.pk, actor=staff.bj_handler, now=day + timedelta(hours=4))
    told = at(respond_on.year, respond_on.month, respond_on.day, 9)
    services.case_review(complaint_id=c.pk, actor=staff.ho_approver, approve=True, now=told - timedelta(hours=1))
    services.case_respond(complaint_id=c.pk, actor=staff.bj_handler, now=told)
    return fresh(c)


def test_point1_verification_request_does_not_turn_a_late_answer_into_on_time(org_tree, staff, new_case, client):
    """Bad path (2026-12-07): a verification request overwrote the due date; 超时答复 became 按时答复."""
    # Received Tue 2026-03-03: 15 days end Wed 2026-03-18. Told on 2026-03-25: seven days late.
    c = new_case(org_tree.bj, received_at=at(2026, 3, 3))
    c = _walk_to_responded(c, staff, respond_on=date(2026, 3, 25))
    assert timeliness_of(c).due_date == date(2026, 3, 18) and timeliness_of(c).on_time is False
    assert c.decision_timely is False and c.decision_due_date == date(2026, 3, 18)

    services.verification_request(
        complaint_id=c.pk,
        actor=staff.ho_officer,
        requested_on=date(2026, 4, 1),
        reason="客户不认可",
        now=at(2026, 4, 1),
    )
    c = fresh(c)
    # The verification clock has its own deadline (in due_date while it runs) ...
    assert c.status == CaseState.VERIFICATION and c.due_date == date(2026, 5, 6)
    # ... and the decision clock's record is untouched.
    assert (c.decision_due_date, c.decision_timely) == (date(2026, 3, 18), False)
    assert timeliness_of(c).on_time is False and clock_for(c).decided_on_time is False
    client.force_login(staff.ho_officer)
    page = client.get(reverse("workflow:case", args=[c.pk])).content.decode()
    assert 'data-timely="no"' in page and "超时答复" in page and "按时答复" not in page


def test_point1_export_timely_follows_extension_and_rest_day_roll(org_tree, staff, new_case, client, pin_clock):
    """Bad path: the export's `timely` used a fixed 15 days to HO approval — 按时答复 on the page, 否 in the export."""
    pin_clock(PINNED_TODAY)
    # Received Tue 2026-09-01; extension approved on day 5 (15 → 30 days).
    extended = new_case(org_tree.bj, received_at=at(2026, 9, 1))
    services.case_route(complaint_id=extended.pk, actor=staff.ho_officer, now=at(2026, 9, 1, 11))
    services.case_accept(complaint_id=extended.pk, actor=staff.bj_handler, now=at(2026, 9, 1, 12))
    services.extension_request(
        complaint_id=extended.pk, actor=staff.bj_handler, reason="需调取多笔交易流水", now=at(2026, 9, 5)
    )
    req = extended.extension_requests.get()
    services.extension_decide(request_id=req.pk, actor=staff.bj_manager, approve=True, now=at(2026, 9, 6))
    services.case_start_investigation(complaint_id=extended.pk, actor=staff.bj_handler, now=at(2026, 9, 7))
    extended = fresh(extended)
    # Told on day 25: late under a fixed 15 days, on time under the approved 30.
    extended = _finish_from_investigating(extended, staff, told=at(2026, 9, 26, 9))
    t = timeliness_of(extended)
    assert t.extension_level == 1 and t.on_time is True

    client.force_login(staff.ho_officer)
    page = client.get(reverse("workflow:case", args=[extended.pk])).content.decode()
    assert 'data-timely="yes"' in page and "按时答复" in page
    rows = _export_rows(client, date(2026, 9, 1), date(2026, 9, 1))
    assert rows[extended.reference]["timely"] == "是"


def _finish_from_investigating(c, staff, *, told):
    services.case_draft_decision(
        complaint_id=c.pk,
        actor=staff.bj_handler,
        text="已退还费用。",
        proposed_result="upheld",
        redress_amount="300",
        redress_type="refund",
        root_cause="C0202",
        now=told - timedelta(hours=5),
    )
    services.case_submit_for_review(complaint_id=c.pk, actor=staff.bj_handler, now=told - timedelta(hours=4))
    services.case_review(complaint_id=c.pk, actor=staff.ho_approver, approve=True, now=told - timedelta(hours=2))
    services.case_respond(complaint_id=c.pk, actor=staff.bj_handler, now=told)
    return fresh(c)


def _export_rows(client, start: date, end: date) -> dict[str, dict]:
    url = reverse("analytics:export", args=["cases", "csv"])
    response = client.get(url, {"kind": "custom", "start": start.isoformat(), "end": end.isoformat(), "header": "key"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return {r["complaint_id"]: r for r in csv.DictReader(io.StringIO(body))}


def test_point1_pause_moves_the_deadline_for_page_and_export(org_tree, staff, new_case, pin_clock):
    """Paused days (external appraisal) are excluded from the period, in every reader."""
    pin_clock(PINNED_TODAY)
    c = new_case(org_tree.bj, received_at=at(2026, 10, 12))  # 15 days: Tue 10-27
    put(c, CaseState.INVESTIGATING)
    from workflow.models import Pause

    Pause.objects.create(
        complaint=c,
        reason="appraisal",
        note="司法鉴定",
        resume_to="investigating",
        started_at=at(2026, 10, 20),
        started_by=staff.bj_handler,
        ended_at=at(2026, 10, 30),
        ended_by=staff.bj_handler,
    )
    c = put(fresh(c), CaseState.RESPONDED, responded_at=at(2026, 11, 5))
    t = timeliness_of(c)
    assert t.paused_days == 10 and t.due_date == date(2026, 11, 6) and t.on_time is True
    assert timely_label(timeliness_many([c])[c.pk]) == "是"


# --- The walk over the demo data: every reader agrees with the one function ---------------


@pytest.fixture
def demo_world(pin_clock):
    pin_clock(PINNED_TODAY)
    call_command("seed_demo", "--quick", verbosity=0)
    # The escalation job stores "late" for cases whose deadline passed unanswered since.
    services.escalation_run()
    call_command("rollup_rebuild", verbosity=0)
    return list(Complaint.objects.order_by("id"))


def test_point1_page_export_inbox_and_analytics_agree_on_every_demo_case(demo_world, client):
    cases = demo_world
    truth = timeliness_many(cases)
    assert len(cases) >= 250
    labels = Counter(timely_label(truth[c.pk]) for c in cases)
    assert labels["是"] > 50 and labels["否"] > 0, labels  # the demo has both (and cases still open)

    ho = User.objects.get(username="ho_officer")
    client.force_login(ho)

    # The case page: data-timely on the clock panel.
    marks = {"yes": "是", "no": "否", "": ""}
    for c in cases:
        page = client.get(reverse("workflow:case", args=[c.pk])).content.decode()
        found = re.search(r'id="wf-clock" data-state="[^"]*" data-timely="([a-z]*)"', page)
        assert found, c.reference
        assert marks[found.group(1)] == timely_label(truth[c.pk]), (c.reference, c.status)

    # The export (every case received in the demo's range).
    first = min(c.received_at for c in cases).date() - timedelta(days=1)
    rows = _export_rows(client, first, PINNED_TODAY)
    for c in cases:
        if c.status == CaseState.MERGED:
            continue  # merged repeats are not reported (their original is)
        assert rows[c.reference]["timely"] == timely_label(truth[c.pk]), (c.reference, c.status)

    # The stored record (what analytics counts) and the inbox's deadline (decision states).
    for c in cases:
        t = truth[c.pk]
        assert (c.decision_due_date, c.decision_timely) == (t.due_date, t.on_time), c.reference
        if c.status in {CaseState.ROUTED, CaseState.ACCEPTED, CaseState.INVESTIGATING, CaseState.HO_REVIEW}:
            assert c.due_date == t.due_date, c.reference

    # The inbox's overdue bucket holds exactly the decision-clock cases the function calls overdue.
    rows_overdue, counters = inbox_for(ho, bucket="overdue")
    in_bucket = {c.pk for c in rows_overdue[0 : counters["overdue"]] if c.status != CaseState.VERIFICATION}
    assert in_bucket == {c.pk for c in cases if truth[c.pk].overdue and c.status != CaseState.VERIFICATION}

    # Analytics: on time / late counts of the rollup equal the function's over the reported cases.
    reported = [c for c in cases if c.status != CaseState.MERGED]
    sums = DailyRollup.objects.aggregate(on=Sum("decided_on_time"), late=Sum("decided_late"))
    assert sums["on"] == sum(truth[c.pk].on_time is True for c in reported)
    assert sums["late"] == sum(truth[c.pk].on_time is False for c in reported)
