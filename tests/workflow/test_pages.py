"""Pages: scoping with unequal branches (404 elsewhere), action posts, bad input and stale pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from workflow.models import CaseTransition
from workflow.services import version_of

from .conftest import fresh, put

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org_tree, staff, new_case):
    """BJ has 3 cases plus 1 in its sub-branch BJ-CY; SH has 5 (unequal on purpose)."""
    bj = [put(new_case(org_tree.bj), "routed") for _ in range(3)]
    bj_cy = [put(new_case(org_tree.bj_cy), "routed")]
    sh = [put(new_case(org_tree.sh), "investigating") for _ in range(5)]
    closed = put(new_case(org_tree.sh), "closed")  # not in any inbox
    return {"bj": bj, "bj_cy": bj_cy, "sh": sh, "closed": closed}


def login(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("who", "count"), [("bj_manager", 4), ("bj_cy_handler", 1), ("sh_manager", 5), ("ho_officer", 9), ("sh_handler", 5)]
)
def test_inbox_shows_exactly_the_users_scope(client, staff, world, who, count):
    resp = login(client, getattr(staff, who)).get(reverse("workflow:inbox"))
    assert resp.status_code == 200
    assert resp.context["counters"]["total"] == count
    assert len(resp.context["page"].object_list) == count


def test_inbox_counters_and_bucket_filter(client, staff, world):
    put(world["sh"][0], "paused")
    put(world["sh"][1], "ho_review")
    resp = login(client, staff.sh_manager).get(reverse("workflow:inbox"), {"bucket": "paused"})
    assert resp.context["counters"]["paused"] == 1 and resp.context["counters"]["awaiting_ho"] == 1
    assert [c.pk for c in resp.context["page"]] == [world["sh"][0].pk]


@pytest.mark.parametrize("name", ["workflow:case", "workflow:act"])
def test_other_branch_case_is_404(client, staff, world, name):
    case = world["sh"][0]
    args = [case.pk] if name == "workflow:case" else [case.pk, "comment"]
    c = login(client, staff.bj_manager)
    resp = (
        c.get(reverse(name, args=args))
        if name == "workflow:case"
        else c.post(reverse(name, args=args), {"comment-body": "x"})
    )
    assert resp.status_code == 404
    assert not CaseTransition.objects.filter(complaint=case, action="comment").exists()


def test_sub_branch_handler_cannot_see_branch_level_case(client, staff, world):
    resp = login(client, staff.bj_cy_handler).get(reverse("workflow:case", args=[world["bj"][0].pk]))
    assert resp.status_code == 404


def test_my_cases_lists_only_mine(client, staff, world):
    put(world["bj"][0], "investigating", assigned_to=staff.bj_handler)
    put(world["bj"][1], "investigating", assigned_to=staff.bj_handler2)
    resp = login(client, staff.bj_handler).get(reverse("workflow:mine"))
    assert [c.pk for c in resp.context["page"]] == [world["bj"][0].pk]


def test_overview_by_branch_folds_sub_branches_and_is_head_office_only(client, staff, world, org_tree):
    resp = login(client, staff.ho_officer).get(reverse("workflow:overview"))
    rows = {r.org.code: r.total for r in resp.context["rows"]}
    assert rows == {"BJ": 4, "SH": 5}
    assert login(client, staff.bj_manager).get(reverse("workflow:overview")).status_code == 404


def test_approvals_queue_is_scoped(client, staff, world):
    put(world["bj"][0], "ho_review")
    resp = login(client, staff.ho_approver).get(reverse("workflow:approvals"))
    assert [c.pk for c in resp.context["reviews"]] == [world["bj"][0].pk]
    assert login(client, staff.bj_handler).get(reverse("workflow:approvals")).status_code == 404


def test_case_page_shows_clock_actions_and_timeline(client, staff, world):
    case = world["bj"][0]
    resp = login(client, staff.bj_manager).get(reverse("workflow:case", args=[case.pk]))
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "处理时限" in html and case.due_date.isoformat() in html
    assert 'data-action="accept"' in html and 'data-action="route"' not in html
    assert "登记投诉" in html  # the first timeline entry, written at registration


def test_auditor_sees_case_but_has_no_actions_and_cannot_post(client, staff, world):
    case = world["bj"][0]
    c = login(client, staff.auditor)
    html = c.get(reverse("workflow:case", args=[case.pk])).content.decode()
    assert "data-action=" not in html
    resp = c.post(reverse("workflow:act", args=[case.pk, "accept"]), {"accept-version": version_of(case)})
    assert resp.status_code == 403 and "只读" in resp.content.decode()
    assert fresh(case).status == "routed"


def test_accept_through_the_page_then_stale_resubmission_is_a_conflict(client, staff, world):
    case = world["bj"][0]
    c = login(client, staff.bj_manager)
    data = {"accept-version": version_of(case), "accept-reason": "已电话联系客户"}
    resp = c.post(reverse("workflow:act", args=[case.pk, "accept"]), data)
    assert resp.status_code == 302 and fresh(case).status == "accepted"
    again = c.post(reverse("workflow:act", args=[case.pk, "accept"]), data)
    assert again.status_code in (403, 409)
    assert "不能执行" in again.content.decode() or "已被他人更新" in again.content.decode()
    assert CaseTransition.objects.filter(complaint=case, action="accept").count() == 1


def test_stale_version_gives_409_and_keeps_the_typed_text(client, staff, world):
    case = put(world["bj"][0], "investigating", assigned_to=staff.bj_handler)
    old = version_of(case)
    put(case, "investigating", extension_level=1)  # someone else saved meanwhile
    case.refresh_from_db()
    from complaints.models import Complaint

    Complaint.objects.filter(pk=case.pk).update(updated_at=case.updated_at.replace(year=2030))
    resp = login(client, staff.bj_handler).post(
        reverse("workflow:act", args=[case.pk, "comment"]), {"comment-version": old, "comment-body": "我的长篇回复"}
    )
    # comments do not check versions (they never conflict); a draft does:
    assert resp.status_code == 302
    resp = client.post(
        reverse("workflow:act", args=[case.pk, "draft_decision"]),
        {
            "draft_decision-version": old,
            "draft_decision-text": "经核实……（很长的处理意见）",
            "draft_decision-proposed_result": "upheld",
            "draft_decision-redress_type": "none",
        },
    )
    assert resp.status_code == 409
    html = resp.content.decode()
    assert "已被他人更新" in html and "经核实……（很长的处理意见）" in html
    assert fresh(case).status == "investigating"


def test_invalid_form_is_400_with_message_not_500(client, staff, world):
    case = put(world["bj"][0], "responded")
    resp = login(client, staff.bj_manager).post(
        reverse("workflow:act", args=[case.pk, "close"]),
        {
            "close-version": version_of(case),
            "close-result": "maybe",
            "close-redress_type": "none",
            "close-root_cause": "",
        },
    )
    assert resp.status_code == 400 and "wf-error" in resp.content.decode()
    assert fresh(case).status == "responded"


def test_unknown_action_is_404(client, staff, world):
    resp = login(client, staff.bj_manager).post(reverse("workflow:act", args=[world["bj"][0].pk, "explode"]))
    assert resp.status_code == 404


def test_navigation_links_per_role(client, staff):
    from workflow.navigation import links_for

    keys = lambda u: {link.key for link in links_for(u)}  # noqa: E731
    assert keys(staff.bj_handler) == {"wf_mine", "wf_inbox"}
    assert keys(staff.bj_manager) == {"wf_inbox", "wf_approvals"}
    assert keys(staff.ho_officer) == {"wf_inbox", "wf_approvals", "wf_overview"}
    assert keys(staff.auditor) == {"wf_overview"}
    assert keys(staff.agent) == set()


def test_approvals_page_queries_do_not_grow_with_the_queue(client, staff, world, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workflow import services

    cases = world["bj"] + world["bj_cy"]
    for c in cases:
        put(c, "investigating", assigned_to=staff.bj_handler)
    services.extension_request(complaint_id=cases[0].pk, actor=staff.bj_handler, reason="案情复杂")
    login(client, staff.bj_manager)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("workflow:approvals")).status_code == 200
    for c in cases[1:]:
        services.extension_request(complaint_id=c.pk, actor=staff.bj_handler, reason="案情复杂")
    with django_assert_max_num_queries(len(one)):
        resp = client.get(reverse("workflow:approvals"))
    assert [e.complaint_id for e in resp.context["extensions"]] == [c.pk for c in cases]
    assert all(c.reference in resp.content.decode() for c in cases)


def test_approvals_page_shows_25_per_list_with_a_paged_more_link(client, staff, world, new_case, org_tree):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workflow.views import APPROVALS_PER_SECTION

    reviews = [put(new_case(org_tree.bj if i % 3 else org_tree.sh), "ho_review") for i in range(27)]
    login(client, staff.ho_approver)
    with CaptureQueriesContext(connection) as first:
        resp = client.get(reverse("workflow:approvals"))
    html = resp.content.decode()
    shown = [c.pk for c in resp.context["reviews"]]
    assert len(shown) == APPROVALS_PER_SECTION == 25
    assert html.count('<li class="wf-case') == 25  # no extensions or verifications pending
    assert "?section=reviews&amp;page=2" in html
    assert "?section=extensions" not in html  # short lists get no "more" link
    # The rest on the section's own page: the remaining 2, in the same (due date, id) order.
    with CaptureQueriesContext(connection) as more:
        rest = client.get(reverse("workflow:approvals"), {"section": "reviews", "page": 2})
    rest_ids = [c.pk for c in rest.context["reviews"]]
    assert len(rest_ids) == 2 and not set(rest_ids) & set(shown)
    assert set(shown + rest_ids) == {c.pk for c in reviews}
    assert 'id="wf-extensions"' not in rest.content.decode()
    # Page 1 reads each list once (no per-row queries); the section page reads one list + its count.
    assert len(more) <= len(first)
    # Unknown section → the normal page.
    assert client.get(reverse("workflow:approvals"), {"section": "bogus"}).context["section"] == ""
