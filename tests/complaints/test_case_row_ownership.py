"""Complaints owns the case row and its state machine; the workflow builds on it and complaints
never imports it (issue 13, docs/decisions/case-row-ownership.md). Intake tells the workflow about
a new case through the ``complaint_registered`` signal, in its own transaction; the list's bulk bar,
the demo's due dates and the retention job's workflow rows come from the workflow's own modules."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from accounts import demo as accounts_demo
from complaints import demo as complaints_demo
from complaints import fsm, states
from complaints.models import Complaint
from complaints.signals import complaint_registered
from tests.complaints.factories import ComplaintFactory
from tests.conftest import PINNED_TODAY
from workflow import clocks, hooks
from workflow import demo as workflow_demo
from workflow.models import CaseTransition, InvolvedStaff
from workflow.work_calendar import work_calendar

pytestmark = pytest.mark.django_db


def test_the_case_row_is_built_from_complaints_own_state_machine():
    assert issubclass(Complaint, fsm.CaseWorkflowMixin)
    assert Complaint._meta.get_field("status").default == states.CaseState.REGISTERED


def test_a_registered_case_gets_its_clock_timeline_and_recusals_from_the_workflow(
    register, pin_clock, make_user, org_tree
):
    from accounts import roles

    pin_clock(PINNED_TODAY)
    colleague = make_user(roles.BRANCH_HANDLER, org_tree.bj, username="colleague")
    case = register(involved_staff=[colleague])
    received_on = timezone.localtime(case.received_at).date()
    due = clocks.decision_due(received_on, extension_level=0, paused_days=0, calendar=work_calendar())
    assert Complaint.objects.get(pk=case.pk).due_date == due
    actions = list(CaseTransition.objects.filter(complaint=case).order_by("id").values_list("action", flat=True))
    assert actions[0] == "register" and "add_involved" in actions
    assert InvolvedStaff.objects.filter(complaint=case, user=colleague).exists()


def test_a_failing_workflow_receiver_rolls_the_registration_back(register, monkeypatch, pin_clock):
    pin_clock(PINNED_TODAY)

    def broken(*args, **kwargs):
        raise RuntimeError("clock broke")

    monkeypatch.setattr(hooks, "case_registered", broken)
    with pytest.raises(RuntimeError, match="clock broke"):
        register()
    assert not Complaint.objects.exists()


def test_without_a_receiver_intake_refuses_rather_than_write_a_case_without_its_clock(register, pin_clock):
    pin_clock(PINNED_TODAY)
    assert complaint_registered.disconnect(dispatch_uid="workflow.case_registered")
    try:
        with pytest.raises(ImproperlyConfigured, match="workflow"):
            register()
    finally:
        complaint_registered.connect(hooks.on_complaint_registered, dispatch_uid="workflow.case_registered")
    assert not Complaint.objects.exists()


def test_the_demo_cases_get_their_due_date_from_the_workflows_clock(pin_clock, org_tree):
    pin_clock(PINNED_TODAY)
    accounts_demo.seed()
    complaints_demo.seed(stdout=io.StringIO(), options={"quick": True, "complaints": 20000})
    assert not Complaint.objects.filter(due_date__isnull=False).exists()  # complaints knows no clock
    # Received a minute ago: the demo's first step (routing, ~20 minutes later) is still ahead (no
    # customer: the audit-control showcase takes cases with one).
    fresh = ComplaintFactory(
        reference="VOC-FRESH-1",
        responsible_org=org_tree.bj,
        received_at=timezone.now() - timedelta(minutes=1),
        customer=None,
    )
    workflow_demo.seed()
    assert not Complaint.objects.filter(due_date__isnull=True).exists()
    fresh.refresh_from_db()
    assert fresh.status == states.CaseState.REGISTERED
    received_on = timezone.localtime(fresh.received_at).date()
    assert fresh.due_date == clocks.decision_due(
        received_on, extension_level=0, paused_days=0, calendar=work_calendar()
    )
