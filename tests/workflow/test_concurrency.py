"""Two people act on one case at the same moment: exactly one wins (PostgreSQL row locks)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from workflow import services
from workflow.errors import WorkflowError
from workflow.models import CaseTransition

from .conftest import fresh, put

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locking needs PostgreSQL"),
]


def race(calls):
    barrier = threading.Barrier(len(calls))
    results: list[str] = [""] * len(calls)

    def run(i, fn):
        from django.db import connection as conn

        try:
            barrier.wait()
            fn()
            results[i] = "won"
        except WorkflowError as exc:
            results[i] = exc.code
        finally:
            conn.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_accepts_at_once_one_wins_one_conflict(org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "routed")
    version = services.version_of(case)
    results = race(
        [
            lambda: services.case_accept(complaint_id=case.pk, actor=staff.bj_manager, expected_version=version),
            lambda: services.case_accept(complaint_id=case.pk, actor=staff.bj_handler, expected_version=version),
        ]
    )
    assert sorted(results) == ["conflict", "won"]
    assert fresh(case).status == "accepted"
    assert CaseTransition.objects.filter(complaint=case, action="accept").count() == 1


def test_approve_and_return_race_one_wins(org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "ho_review")
    results = race(
        [
            lambda: services.case_review(complaint_id=case.pk, actor=staff.ho_approver, approve=True),
            lambda: services.case_review(complaint_id=case.pk, actor=staff.ho_officer, approve=False, comment="退回"),
        ]
    )
    assert sorted(results) == ["not_allowed", "won"]  # without a page version: the loser sees the new state
    assert (
        CaseTransition.objects.filter(complaint=case, action__in=["approve_decision", "return_to_branch"]).count() == 1
    )
