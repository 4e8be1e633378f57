"""The inbox list: urgency order page by page, the same as one sorted query, without sorting it all."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.paginator import Paginator

from workflow import selectors
from workflow.selectors import BUCKETS, _urgency

from .conftest import at, put

pytestmark = pytest.mark.django_db
NOW = at(2026, 3, 18, 9)


@pytest.fixture
def mixed(org_tree, staff, new_case):
    """Unequal branches, every urgency group, shared due dates (ties broken by id), unassigned cases."""
    states = ["investigating", "accepted", "paused", "responded", "ho_review", "registered", "routed", "closed"]
    cases = []
    for i in range(41):
        org = org_tree.bj if i % 3 else (org_tree.sh if i % 2 else org_tree.bj_cy)
        handler = None if i % 5 == 0 else (staff.bj_handler if org != org_tree.sh else staff.sh_handler)
        due = date(2026, 3, 10) + timedelta(days=i % 12)
        cases.append(put(new_case(org, received_at=at(2026, 2, 20)), states[i % len(states)], due_date=due,
                         assigned_to=handler))  # fmt: skip
    return cases


@pytest.mark.parametrize("username", ["ho_officer", "bj_manager", "sh_manager"])
def test_pages_follow_the_urgency_order_for_every_bucket(mixed, staff, username):
    user = getattr(staff, username)
    for bucket in ("", *BUCKETS):
        rows, counters = selectors.inbox_for(user, bucket=bucket, now=NOW)
        reference = _urgency(rows.qs)
        expected = [(c.pk, c.urgency) for c in reference]
        assert len(rows) == len(expected) == (counters[bucket] if bucket else counters["total"])
        pager = Paginator(rows, 4)
        got = [(c.pk, c.urgency) for n in pager.page_range for c in pager.page(n).object_list]
        assert got == expected, bucket
    assert counters["total"] > 0


def test_head_office_inbox_first_page_costs_a_fixed_number_of_queries(mixed, staff, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # counters, then one query (page 1 is all running clocks)
        rows, counters = selectors.inbox_for(staff.ho_officer, now=NOW)
        page = Paginator(rows, 5).get_page(1)
        assert len(list(page.object_list)) == 5 and page.paginator.count == counters["total"]


def test_partial_index_predicates_match_the_selectors_state_lists():
    """The planner uses a partial index only if the query's status list implies its predicate."""
    import importlib

    migration = importlib.import_module("workflow.migrations.0003_worklist_indexes")
    assert ", ".join(f"'{s}'" for s in selectors.WORKLIST_STATES) == migration.WORKLIST
    assert ", ".join(f"'{s}'" for s in selectors.RUNNING) == migration.RUNNING
