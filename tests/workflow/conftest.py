"""Workflow fixtures: staff of every role at head office and two unequal branches, and cases.

Cases are built with the complaints factory and registered through the
workflow hook (as intake does); ``put`` places a case in a given state for
tests of one step (fixture shortcut only: code under test uses services).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from accounts import roles
from accounts.models import User
from complaints.models import Complaint
from tests.complaints.factories import ComplaintFactory
from workflow.hooks import case_registered

SH_TZ = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=10, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH_TZ)


@dataclass
class Staff:
    agent: User
    ho_officer: User
    ho_approver: User
    auditor: User
    bj_manager: User
    bj_handler: User
    bj_handler2: User
    bj_cy_handler: User
    sh_manager: User
    sh_handler: User


@pytest.fixture
def staff(org_tree, make_user) -> Staff:
    t = org_tree
    return Staff(
        agent=make_user(roles.AGENT, t.ho),
        ho_officer=make_user(roles.HO_OFFICER, t.ho),
        ho_approver=make_user(roles.HO_APPROVER, t.ho),
        auditor=make_user(roles.AUDITOR, t.ho),
        bj_manager=make_user(roles.BRANCH_MANAGER, t.bj),
        bj_handler=make_user(roles.BRANCH_HANDLER, t.bj),
        bj_handler2=make_user(roles.BRANCH_HANDLER, t.bj, username="bj_handler_two"),
        bj_cy_handler=make_user(roles.BRANCH_HANDLER, t.bj_cy),
        sh_manager=make_user(roles.BRANCH_MANAGER, t.sh),
        sh_handler=make_user(roles.BRANCH_HANDLER, t.sh),
    )


@pytest.fixture
def new_case(staff):
    def make(org, *, received_at: datetime | None = None, **kwargs) -> Complaint:
        extra = {"received_at": received_at} if received_at else {}
        c = ComplaintFactory(responsible_org=org, created_by=staff.agent, **extra, **kwargs)
        if received_at:  # logged while the customer called (the tests' clock is simulated)
            Complaint.objects.filter(pk=c.pk).update(created_at=received_at)
            c.created_at = received_at
        case_registered(c, actor=staff.agent)
        return Complaint.objects.get(pk=c.pk)

    return make


def put(case: Complaint, state: str, **fields) -> Complaint:
    """Fixture shortcut: place a case in ``state`` (bypassing the FSM on purpose)."""
    Complaint.objects.filter(pk=case.pk).update(status=state, **fields)
    return Complaint.objects.get(pk=case.pk)


def fresh(case: Complaint) -> Complaint:
    return Complaint.objects.get(pk=case.pk)
