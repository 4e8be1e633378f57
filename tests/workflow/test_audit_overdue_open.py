"""Auditor's checklist, issue 17 point 1 (analytics): "overdue open" follows the derived decision clock.

Bad path (2026-12-07): the performance report counted every open case whose ``due_date``
column had passed — a case paused for an appraisal (its column keeps the pre-pause date)
and a case told on time that is now in verification (the column holds the verification
clock's date) showed as overdue. Now it counts exactly the cases ``workflow.timeliness``
calls overdue: a decision still owed past its derived deadline.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.core.cache import cache

from analytics import selectors
from analytics.periods import custom_period
from complaints.models import Complaint
from complaints.states import OPEN_STATES, CaseState
from tests.conftest import PINNED_TODAY
from tests.workflow.conftest import at, fresh
from tests.workflow.test_audit_timeliness import _walk_to_responded
from workflow import services
from workflow.services.escalation import timeliness_refresh_due
from workflow.timeliness import timeliness_of

pytestmark = pytest.mark.django_db


def _overdue_open(user, today: date) -> tuple[int, dict[str, int]]:
    cache.clear()  # the report cache is keyed by the rollup generation; these cases bypass the rollup
    rows, total = selectors.performance(
        selectors.resolve_scope(user, ""), custom_period(date(2026, 9, 1), today), today=today
    )
    return total.overdue_open, {r.org_code: r.overdue_open for r in rows}


def _to_investigating(c, staff, day: datetime) -> None:
    services.case_route(complaint_id=c.pk, actor=staff.ho_officer, now=day)
    services.case_accept(complaint_id=c.pk, actor=staff.bj_handler, now=day.replace(hour=11))
    services.case_start_investigation(complaint_id=c.pk, actor=staff.bj_handler, now=day.replace(hour=12))


def test_overdue_open_counts_only_cases_the_decision_clock_calls_overdue(org_tree, staff, new_case, pin_clock):
    pin_clock(date(2026, 11, 16))
    # Received Mon 2 Nov: 15 days end Tue 17 Nov.
    paused = new_case(org_tree.bj, received_at=at(2026, 11, 2))
    _to_investigating(paused, staff, at(2026, 11, 2, 10))
    services.case_pause(
        complaint_id=paused.pk, actor=staff.bj_handler, reason="appraisal", note="司法鉴定（笔迹）",
        reference="JD-2026-118", expected_end=date(2027, 1, 15), now=at(2026, 11, 10),
    )  # fmt: skip
    services.pause_decide(complaint_id=paused.pk, actor=staff.bj_manager, approve=True, now=at(2026, 11, 11))

    late = new_case(org_tree.bj, received_at=at(2026, 11, 2))
    _to_investigating(late, staff, at(2026, 11, 2, 10))

    # Received Mon 16 Nov (15 days: 1 Dec), extension to 30 days approved: due 16 Dec.
    extended = new_case(org_tree.bj, received_at=at(2026, 11, 16, 9))
    _to_investigating(extended, staff, at(2026, 11, 16, 10))
    services.extension_request(
        complaint_id=extended.pk, actor=staff.bj_handler, reason="需调取监控", now=at(2026, 11, 16, 13)
    )
    services.extension_decide(
        request_id=extended.extension_requests.get().pk, actor=staff.bj_manager, approve=True, now=at(2026, 11, 16, 15)
    )

    # Told on time on 10 Sep; the customer asked for verification on 20 Sep (its own clock ended in October).
    verified = _walk_to_responded(
        new_case(org_tree.bj, received_at=at(2026, 9, 1)), staff, respond_on=date(2026, 9, 10)
    )
    services.verification_request(
        complaint_id=verified.pk, actor=staff.ho_officer, requested_on=date(2026, 9, 20), reason="客户不认可",
        now=at(2026, 9, 20),
    )  # fmt: skip

    today = pin_clock(PINNED_TODAY)
    cases = {name: fresh(c) for name, c in [("paused", paused), ("late", late), ("extended", extended), ("verified", verified)]}  # fmt: skip
    assert cases["paused"].status == CaseState.PAUSED and cases["verified"].status == CaseState.VERIFICATION
    # The bad path: every one of these is open with its due_date column already passed, except the extension.
    assert all(c.status in OPEN_STATES for c in cases.values())
    assert {n for n, c in cases.items() if c.due_date < today} == {"paused", "late", "verified"}
    assert timeliness_of(cases["verified"]).on_time is True

    # Now: only the case whose decision is owed past its derived deadline (before the job refreshed it) ...
    live = {n for n, c in cases.items() if timeliness_of(c).overdue}
    assert live == {"late"}
    assert cases["late"].decision_timely is None  # the stored verdict is behind; the deadline still counts
    assert _overdue_open(staff.ho_officer, today) == (1, {"BJ": 1})
    # ... and the same after the escalation job wrote the verdicts down.
    timeliness_refresh_due(at(2026, 12, 7, 10))
    assert Complaint.objects.get(pk=late.pk).decision_timely is False
    assert Complaint.objects.get(pk=paused.pk).decision_timely is None
    assert _overdue_open(staff.ho_officer, today) == (1, {"BJ": 1})
    assert _overdue_open(staff.bj_manager, today)[0] == 1
    assert _overdue_open(staff.sh_manager, today)[0] == 0


def test_a_case_told_late_is_not_owed_a_decision_but_stays_late(org_tree, staff, new_case, pin_clock):
    """Told late, now in verification past the verification clock's date: counted late in the
    timely rate, not as a decision owed (the verification clock is a separate one)."""
    pin_clock(PINNED_TODAY)
    c = _walk_to_responded(new_case(org_tree.bj, received_at=at(2026, 9, 1)), staff, respond_on=date(2026, 10, 5))
    services.verification_request(
        complaint_id=c.pk, actor=staff.ho_officer, requested_on=date(2026, 10, 10), reason="客户不认可",
        now=at(2026, 10, 10),
    )  # fmt: skip
    c = fresh(c)
    assert c.status == CaseState.VERIFICATION and c.decision_timely is False and c.due_date < PINNED_TODAY
    assert _overdue_open(staff.ho_officer, PINNED_TODAY)[0] == 0
