"""Analytics fixtures: cases built directly with the factory (workflow columns set by hand)
and an unequal data set for scoping: BJ 5 cases (2 of them at sub-branch BJ-CY), SH 3."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts import roles
from analytics.services import rollup_rebuild
from tests.complaints.factories import ComplaintFactory, code
from tests.conftest import PINNED_TODAY


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def make_case(org, day: date, *, a: str = "A0302", b: str = "B030202", c: str = "C03", **extra):
    """A case with its workflow columns set by hand; the decision clock's record
    (``decision_timely``) then follows as the workflow would leave it."""
    from workflow.timeliness import timeliness_store

    case = ComplaintFactory(
        responsible_org=org, received_at=at(day), code_a=code(a), code_b=code(b), code_c=code(c), **extra
    )
    timeliness_store([case.pk])
    case.refresh_from_db()
    return case


@pytest.fixture(autouse=True)
def _celery_eager(monkeypatch, settings):
    """The hook writes the outbox and queues a flush after the commit; in these tests the
    flush runs at once, in the test's transaction (which never commits), without the debounce,
    so "hook called" means "rollup refreshed" and results are deterministic.
    (test_rollup checks the outbox, the commit and the queuing itself with all this off.)"""
    from analytics import hooks
    from voc.celery import app

    settings.ANALYTICS_FLUSH_DEBOUNCE_S = 0
    monkeypatch.setattr(hooks, "on_commit", lambda fn, *a, **kw: fn())  # this module only
    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def today(request, pin_clock) -> date:
    """The pinned day (``PINNED_TODAY``, or the parametrised one); the clock is moved there."""
    day = pin_clock(getattr(request, "param", PINNED_TODAY))
    assert timezone.localdate() == day
    return day


@dataclass
class Unequal:
    day: date
    bj_cases: list
    sh_cases: list


@pytest.fixture
def unequal(org_tree, today) -> Unequal:
    """BJ subtree 5 cases (3 at BJ incl. one B0101, 2 at BJ-CY), SH 3 cases; all 3 days ago; rollup built."""
    day = today - timedelta(days=3)
    bj = [
        make_case(org_tree.bj, day),
        make_case(org_tree.bj, day, is_repeat=True),
        make_case(org_tree.bj, day, b="B0101", c="C0101"),
        make_case(org_tree.bj_cy, day, summary="客户手机13812345678投诉"),
        make_case(org_tree.bj_cy, day),
    ]
    sh = [make_case(org_tree.sh, day, b="B0401", c="C0201") for _ in range(3)]
    rollup_rebuild()
    return Unequal(day, bj, sh)


@pytest.fixture
def users(org_tree, make_user):
    return {
        "ho_officer": make_user(roles.HO_OFFICER, org_tree.ho),
        "auditor": make_user(roles.AUDITOR, org_tree.ho),
        "bj_manager": make_user(roles.BRANCH_MANAGER, org_tree.bj),
        "sh_manager": make_user(roles.BRANCH_MANAGER, org_tree.sh),
        "bj_handler": make_user(roles.BRANCH_HANDLER, org_tree.bj),
    }
