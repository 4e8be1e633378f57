"""List/search cost: a fixed number of queries per page whatever its size or depth; panels hook."""

from __future__ import annotations

import pytest
from django.urls import reverse

from complaints import panels
from complaints.list_selectors import ComplaintFilters, complaint_page_for
from tests.complaints.factories import ComplaintFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(org_tree):
    return [ComplaintFactory(responsible_org=org_tree.bj_cy if i % 2 else org_tree.sh) for i in range(40)]


@pytest.mark.parametrize(("who", "queries"), [("ho_officer", 4), ("bj_manager", 5)])
def test_selector_page_costs_the_same_for_5_and_30_rows(request, many, who, queries, django_assert_num_queries):
    user = request.getfixturevalue(who)
    f = ComplaintFilters(code_b="B03", q="年费")
    for limit in (5, 30):
        fresh = type(user).objects.select_related("org").get(pk=user.pk)  # no cached scope ids
        # HO: transcript matches + the probe's edge + page ids + rows. Branch user: also their
        # org ids. Codes, org and customer are joined.
        with django_assert_num_queries(queries):
            page = complaint_page_for(fresh, f, limit=limit)
            names = [(c.code_b.name_zh, c.responsible_org.code, c.customer.salutation) for c in page.items]
        assert len(names) == (limit if who == "ho_officer" else min(limit, 20))


def test_list_page_query_count_is_fixed_for_first_and_deep_pages(client, ho_officer, many, django_assert_num_queries):
    client.force_login(ho_officer)
    first = client.get(reverse("complaints:list"))
    cursor = first.context["page"].next_cursor
    with django_assert_num_queries(_page_cost(client, {})):
        client.get(reverse("complaints:list"), {"cursor": cursor})


def _page_cost(client, params):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("complaints:list"), params)
    return len(ctx.captured_queries)


def test_list_count_counts_at_most_the_cap_plus_one_rows(client, bj_manager, many):
    """No COUNT over the whole match set: the list's count (its own URL) stops after COUNT_CAP + 1 rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from complaints.list_selectors import COUNT_CAP

    client.force_login(bj_manager)
    params = {"q": "年费", "code_b": "B0302"}
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("complaints:list"), params)
    assert response.status_code == 200 and len(response.context["page"].items) == 20
    assert not [q for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]  # the page does not wait for it
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("complaints:list_count"), params)
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and f"LIMIT {COUNT_CAP + 1}" in counts[0]
    assert "共 20 条" in response.content.decode()


def test_api_list_queries_do_not_grow_with_limit(client, ho_officer, many):
    client.force_login(ho_officer)
    client.get("/api/v1/complaints/", {"limit": 1})  # warm caches (taxonomy, session)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for limit in (2, 35):
        with CaptureQueriesContext(connection) as ctx:
            assert len(client.get("/api/v1/complaints/", {"limit": limit}).json()["results"]) == limit
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_case_panels_are_collected_from_apps_in_order(monkeypatch, rf, org_tree):
    import sys
    import types

    fake = types.ModuleType("recordings.case_panels")
    fake.panels_for = lambda request, complaint: [panels.Panel("x.html", {"n": 1}, order=5)]
    monkeypatch.setitem(sys.modules, "recordings.case_panels", fake)
    other = types.ModuleType("workflow.case_panels")
    other.panels_for = lambda request, complaint: [panels.Panel("y.html", {}, order=1)]
    monkeypatch.setitem(sys.modules, "workflow.case_panels", other)
    got = panels.case_panels(rf.get("/"), ComplaintFactory(responsible_org=org_tree.bj))
    assert [p.template for p in got] == ["y.html", "x.html"]


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Asia/Urumqi"])
def test_date_filters_are_the_banks_local_days(settings, org_tree, ho_officer, zone):
    import datetime as dt
    from zoneinfo import ZoneInfo

    settings.TIME_ZONE = zone
    early = dt.datetime(2026, 3, 2, 3, 0, tzinfo=ZoneInfo(zone))  # still 1 March in UTC
    case = ComplaintFactory(responsible_org=org_tree.bj, received_at=early)
    day = dt.date(2026, 3, 2)

    def refs(**dates):
        return [c.reference for c in complaint_page_for(ho_officer, ComplaintFilters(**dates)).items]

    assert refs(received_from=day, received_to=day) == [case.reference]
    assert refs(received_from=day + dt.timedelta(days=1)) == []
    assert refs(received_to=day - dt.timedelta(days=1)) == []
