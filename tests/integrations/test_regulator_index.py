"""A regulator file's references are looked up through the partial index cmp_regulator_ref
(complaints 0013), not a scan of every case: at a million cases most have no reference (issue 15)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.models import Complaint
from integrations.regulator_rows import existing_by_reference
from tests.complaints.factories import ComplaintFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan is PostgreSQL's"),
]


def _plan_nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


def _indexes_used(sql: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE complaints_complaint")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        value = cursor.fetchone()[0]
    (plan,) = json.loads(value) if isinstance(value, str) else value
    return {n["Index Name"] for n in _plan_nodes(plan["Plan"]) if "Index Name" in n}


def _cases_without_reference(org, n: int) -> None:
    """``n`` cases with no regulator reference (most cases): copies of one built by the factory."""
    base = ComplaintFactory(responsible_org=org)
    fields = [f.attname for f in Complaint._meta.concrete_fields if not f.primary_key]
    values = {name: getattr(base, name) for name in fields}
    Complaint.objects.bulk_create(
        [Complaint(**(values | {"reference": f"VOC-2025-{i:07d}"})) for i in range(n)], batch_size=1000
    )


# 3 references, and 250: PostgreSQL proves "IN (list)" implies the index's "<> ''" by itself only
# for lists of up to 100 values; the lookup states the condition so a large file uses it too.
@pytest.mark.parametrize("n", [3, 250])
def test_a_files_references_are_looked_up_through_the_partial_index(org_tree, n):
    _cases_without_reference(org_tree.bj, 5000)
    ComplaintFactory(responsible_org=org_tree.bj, regulator_reference="JG-2026-0001")
    references = ["JG-2026-0001", *(f"JG-2026-{i:04d}" for i in range(2, n + 1))]
    with CaptureQueriesContext(connection) as queries:
        found = existing_by_reference(references)
    assert list(found) == ["JG-2026-0001"]
    (query,) = [q["sql"] for q in queries.captured_queries if "regulator_reference" in q["sql"]]
    assert "cmp_regulator_ref" in _indexes_used(query)
