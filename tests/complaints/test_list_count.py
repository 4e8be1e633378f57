"""The case list's count (issue 14): asked for by htmx after the rows, from the list's own
selection and scope, cached briefly per user and filters; exact up to the cap, and on
PostgreSQL within a time budget, past which it is the planner's estimate, labelled as one."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from complaints import list_selectors
from complaints.models import Complaint

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def _counts(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]


def test_the_list_page_does_not_count_and_the_count_is_the_users_scope(client, register, org_tree, make_user):
    bj, cy, sh = register(), register(), register()
    for case, org in ((bj, org_tree.bj), (cy, org_tree.bj_cy), (sh, org_tree.sh)):
        Complaint.objects.filter(pk=case.pk).update(responsible_org=org)
    client.force_login(make_user(roles.BRANCH_MANAGER, org_tree.bj))
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("complaints:list"))
    assert page.status_code == 200 and _counts(ctx) == []
    assert "共 2 条" in client.get(reverse("complaints:list_count")).content.decode()  # BJ and BJ-CY, not SH
    assert "共 1 条" in client.get(reverse("complaints:list_count"), {"org": "BJ-CY"}).content.decode()
    other = client.get(reverse("complaints:list_count"), {"org": "上海分行"})  # as the list: nothing of SH's
    assert other.status_code == 200 and "共 0 条" in other.content.decode()
    client.force_login(make_user(roles.HO_OFFICER, org_tree.ho))
    assert "共 3 条" in client.get(reverse("complaints:list_count")).content.decode()  # not BJ's cached 2


def test_the_count_is_kept_briefly_per_user_and_filters(client, register, org_tree, make_user):
    register(), register()
    client.force_login(make_user(roles.HO_OFFICER, org_tree.ho))
    client.get(reverse("complaints:list_count"), {"q": "年费"})
    with CaptureQueriesContext(connection) as ctx:
        again = client.get(reverse("complaints:list_count"), {"q": "年费"})
    assert _counts(ctx) == [] and again.context["result"] == list_selectors.ResultCount(2)
    with CaptureQueriesContext(connection) as ctx:
        other = client.get(reverse("complaints:list_count"), {"q": "保险箱"})  # other filters: counted
    assert len(_counts(ctx)) == 1 and other.context["result"] == list_selectors.ResultCount(0)


def test_bad_filters_get_a_400_not_a_count(client, org_tree, make_user):
    client.force_login(make_user(roles.HO_OFFICER, org_tree.ho))
    bad = client.get(reverse("complaints:list_count"), {"received_from": "not-a-date"})
    assert bad.status_code == 400 and "条" not in bad.content.decode()


def test_a_count_past_its_budget_shows_the_planners_estimate_labelled_as_one(
    client, register, org_tree, make_user, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("the time budget and the planner's estimate are PostgreSQL's")
    for _ in range(3):
        register()
    with connection.cursor() as cur:
        cur.execute("ANALYZE complaints_complaint")
    # Stands in for a count that PostgreSQL cancelled at COUNT_BUDGET_MS (see the next test).
    monkeypatch.setattr(list_selectors, "count_within", lambda qs, budget_ms: None)
    client.force_login(make_user(roles.HO_OFFICER, org_tree.ho))
    page = client.get(reverse("complaints:list_count"))
    result = page.context["result"]
    assert result.estimated and result.n >= 1
    assert f"约 {result.n:,} 条（估计）" in page.content.decode() and "共" not in page.content.decode()


def test_count_within_gives_up_at_its_budget_and_leaves_the_timeout_as_it_was(register):
    if connection.vendor != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's")
    register()
    with connection.cursor() as cur:
        cur.execute("SHOW statement_timeout")
        before = cur.fetchone()[0]
    assert list_selectors.count_within(Complaint.objects.all(), 5000) == 1
    slow = Complaint.objects.extra(where=["pg_sleep(0.3) IS NOT NULL"])  # 300 ms a row
    assert list_selectors.count_within(slow, 50) is None
    with connection.cursor() as cur:  # the connection (and the test's transaction) still works, limit unchanged
        cur.execute("SHOW statement_timeout")
        assert cur.fetchone()[0] == before
    assert Complaint.objects.count() == 1
