"""Two API clients act on one case at the same moment (PostgreSQL row locks): with the same
If-Match exactly one wins and the other gets 412; with the same Idempotency-Key the action is
done once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from workflow.models import CaseTransition

from .api_helpers import act, clock
from .conftest import fresh, put

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locking needs PostgreSQL"),
]


def race(calls) -> list[int]:
    barrier = threading.Barrier(len(calls))
    statuses = [0] * len(calls)

    def run(i, fn):
        from django.db import connection as conn

        try:
            barrier.wait()
            statuses[i] = fn().status_code
        finally:
            conn.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return statuses


def test_two_clients_with_the_same_version_one_wins_the_other_gets_412(org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "routed")
    etag = clock(staff.bj_manager, case)["ETag"]
    statuses = race(
        [
            lambda: act(staff.bj_manager, case, "accept", {"reason": "经理"}, if_match=etag),
            lambda: act(staff.bj_handler, case, "accept", {"reason": "经办"}, if_match=etag),
        ]
    )
    assert sorted(statuses) == [200, 412]
    assert fresh(case).status == "accepted"
    assert CaseTransition.objects.filter(complaint=case, action="accept").count() == 1


def test_the_same_key_sent_twice_at_once_acts_once(org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "routed")
    statuses = race([lambda: act(staff.bj_manager, case, "accept", {"reason": "重发"}, key="twice")] * 2)
    assert 200 in statuses and set(statuses) <= {200, 409}  # a replay, or "still in progress"
    assert CaseTransition.objects.filter(complaint=case, action="accept").count() == 1
