"""The routing form's organisation picker (issue 12): one plain query, no server-side cursor.

Django's ModelChoiceField reads its choices with ``QuerySet.iterator()``, which on PostgreSQL is
a server-side cursor (DECLARE, FETCH, CLOSE: three round trips) for a few dozen rows, on every
case page head office opens on a just-registered case.
"""

from __future__ import annotations

import pytest
from django.db import connection

from workflow.forms import RouteForm

pytestmark = pytest.mark.django_db


def _open_server_side_cursors() -> int | None:
    """Cursors open in this database session (PostgreSQL), asked outside Django's query log."""
    if connection.vendor != "postgresql":
        return None
    return connection.connection.execute("SELECT count(*) FROM pg_cursors").fetchone()[0]


def test_the_routing_picker_lists_branches_and_sub_branches_in_one_plain_query(org_tree, django_assert_num_queries):
    org_tree.sh.is_active = False
    org_tree.sh.save()
    choices = RouteForm(prefix="route").fields["org"].choices
    with django_assert_num_queries(1):
        listed = iter(choices)
        assert next(listed)[0] == ""  # the empty choice
        first = next(listed)
        # Mid-way through the choices no cursor is left open on the server: the rows came at once.
        assert _open_server_side_cursors() in (None, 0)
        rest = list(listed)
    names = [label for _value, label in [first, *rest]]
    # Active organisations below head office only (head office routes; a closed branch is not offered).
    assert sorted(names) == sorted([str(org_tree.bj), str(org_tree.bj_cy)])
