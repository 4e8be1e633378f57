"""The assign form shows each handler's workload (issue 14: no workload when assigning): their
open cases now, closed ones not counted, another branch's handlers not offered."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from workflow.actions import handler_choices

from .conftest import put

pytestmark = pytest.mark.django_db


def test_the_manager_sees_how_many_open_cases_each_handler_holds(client, staff, org_tree, new_case):
    for state in ("investigating", "drafting", "closed"):
        put(new_case(org_tree.bj), state, assigned_to=staff.bj_handler)
    put(new_case(org_tree.sh), "investigating", assigned_to=staff.sh_handler)
    case = put(new_case(org_tree.bj), "accepted")
    labels = dict(handler_choices(staff.bj_manager))
    assert labels[staff.bj_handler.pk].endswith("在办 2 件")  # the closed one is not work
    assert labels[staff.bj_handler2.pk].endswith("在办 0 件")
    assert staff.sh_handler.pk not in labels
    client.force_login(staff.bj_manager)
    html = client.get(reverse("workflow:case", args=[case.pk])).content.decode()
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', html)
    assert (str(staff.bj_handler.pk), labels[staff.bj_handler.pk]) in options


def test_the_workload_is_counted_from_the_index_of_open_assigned_cases(staff, org_tree, new_case):
    """COUNT(id) read each open case's row from the table (90-100 ms for 33 handlers at 1 M cases,
    bench/results/daily-use-2026-12-08-a.md); the count is answered from wf_cmp_assignee_open alone."""
    from django.db import connection, transaction

    from workflow.actions import handler_workload

    if connection.vendor != "postgresql":
        pytest.skip("the partial index and the plan are PostgreSQL's")
    put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler)
    with transaction.atomic(), connection.cursor() as cur:
        # A tiny test table is read whole whatever the query; with that ruled out, the plan shows
        # whether the count needs the table's rows (Index Scan) or only the index (Index Only Scan).
        cur.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off")
        plan = handler_workload(staff.bj_manager).explain()
    assert "Index Only Scan using wf_cmp_assignee_open" in plan, plan
    assert {u.pk: u.open_cases for u in handler_workload(staff.bj_manager)}[staff.bj_handler.pk] == 1
