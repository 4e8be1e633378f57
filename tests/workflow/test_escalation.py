"""The deadline job: marks and notifies once per event, whoever runs it and however often."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail

from accounts.models import Notification
from workflow.models import CaseAlert
from workflow.services import escalation_run
from workflow.tasks import escalate_deadlines

from .conftest import at, put

pytestmark = pytest.mark.django_db
T0 = at(2026, 3, 2, 12, 25)  # due Tue 17 March


@pytest.fixture
def cases(org_tree, staff, new_case):
    staff.bj_handler.email = "h@bank.example"
    staff.bj_handler.save()
    overdue = put(new_case(org_tree.bj, received_at=T0), "investigating", assigned_to=staff.bj_handler)
    soon = put(new_case(org_tree.sh, received_at=at(2026, 3, 4)), "accepted", assigned_to=staff.sh_handler)
    paused = put(new_case(org_tree.bj, received_at=T0), "paused")
    closed = put(new_case(org_tree.bj, received_at=T0), "closed")
    fine = put(new_case(org_tree.bj, received_at=at(2026, 3, 17)), "accepted")
    return {"overdue": overdue, "soon": soon, "paused": paused, "closed": closed, "fine": fine}


def test_run_twice_notifies_each_person_once_per_event(cases, staff, django_capture_on_commit_callbacks):
    now = at(2026, 3, 18, 9)
    with django_capture_on_commit_callbacks(execute=True):
        first = escalation_run(now=now)
    assert (first.overdue, first.due_soon) == (1, 1)
    alerts = set(CaseAlert.objects.values_list("complaint_id", "kind"))
    assert alerts == {(cases["overdue"].pk, "overdue"), (cases["soon"].pk, "due_soon")}
    # overdue: handler, BJ manager and head office; due soon: handler and SH manager only
    overdue_to = set(Notification.objects.filter(kind="case_overdue").values_list("recipient__username", flat=True))
    assert overdue_to == {staff.bj_handler.username, staff.bj_manager.username, staff.ho_officer.username}
    soon_to = set(Notification.objects.filter(kind="case_due_soon").values_list("recipient__username", flat=True))
    assert soon_to == {staff.sh_handler.username, staff.sh_manager.username}
    assert any("h@bank.example" in m.to for m in mail.outbox)
    count, mails = Notification.objects.count(), len(mail.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        second = escalation_run(now=now)
    assert (second.overdue, second.due_soon, second.notifications) == (0, 0, 0)
    assert (
        Notification.objects.filter(
            target_type="complaints.complaint", target_id__in=[cases["overdue"].pk, cases["soon"].pk]
        ).count()
        == count
    )
    assert len(mail.outbox) == mails


def test_a_new_due_date_is_a_new_event(cases):
    escalation_run(now=at(2026, 3, 16, 9))  # due soon on the 17th
    put(cases["overdue"], "investigating", due_date=date(2026, 4, 1), extension_level=1)
    escalation_run(now=at(2026, 3, 30, 9))  # due soon again, for the new date
    kinds = list(
        CaseAlert.objects.filter(complaint=cases["overdue"]).order_by("due_date").values_list("kind", "due_date")
    )
    assert kinds == [("due_soon", date(2026, 3, 17)), ("due_soon", date(2026, 4, 1))]


def test_paused_and_closed_cases_are_never_escalated(cases):
    escalation_run(now=at(2026, 5, 1, 9))
    flagged = set(CaseAlert.objects.values_list("complaint_id", flat=True))
    assert cases["paused"].pk not in flagged and cases["closed"].pk not in flagged


def test_late_first_response_alerts_branch_managers_once(org_tree, staff, new_case):
    c = put(new_case(org_tree.bj, received_at=T0), "routed")
    escalation_run(now=at(2026, 3, 2, 14, 0))  # 1h35 of working time: not late yet
    assert not CaseAlert.objects.filter(kind="first_response").exists()
    escalation_run(now=at(2026, 3, 2, 15, 0))
    escalation_run(now=at(2026, 3, 2, 16, 0))
    assert CaseAlert.objects.filter(complaint=c, kind="first_response").count() == 1
    assert Notification.objects.filter(kind="first_response_late", recipient=staff.bj_manager).count() == 1


def test_celery_task_runs_the_service_idempotently(org_tree, staff, new_case):
    from django.utils import timezone

    put(new_case(org_tree.bj, received_at=timezone.now() - timezone.timedelta(days=40)), "investigating")
    assert escalate_deadlines.apply().get()["overdue"] == 1
    assert escalate_deadlines.apply().get()["overdue"] == 0


def _due_cases(org_tree, staff, new_case, n: int) -> None:
    for i in range(n):
        org, handler = (org_tree.bj, staff.bj_handler) if i % 2 else (org_tree.sh, staff.sh_handler)
        put(new_case(org, received_at=T0), "investigating", assigned_to=handler)  # overdue on 18 March
        put(new_case(org, received_at=at(2026, 3, 4)), "accepted", assigned_to=handler)  # due soon


def test_queries_do_not_grow_with_the_number_of_due_cases(
    org_tree, staff, new_case, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    now = at(2026, 3, 18, 9)
    _due_cases(org_tree, staff, new_case, 2)
    with CaptureQueriesContext(connection) as few:
        small = escalation_run(now=now)
    _due_cases(org_tree, staff, new_case, 30)
    with django_assert_max_num_queries(len(few)), django_capture_on_commit_callbacks(execute=True):
        big = escalation_run(now=now + timedelta(minutes=15))
    assert (small.overdue, small.due_soon) == (2, 2)
    assert (big.overdue, big.due_soon) == (30, 30)
    # overdue: handler + branch manager + head office; due soon: handler + branch manager
    assert big.notifications == 30 * 3 + 30 * 2
    assert Notification.objects.count() == small.notifications + big.notifications
    assert CaseAlert.objects.count() == 64
