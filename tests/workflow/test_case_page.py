"""One case page (issue 13): every app's panels at one URL, a fixed number of queries.

The case is walked through the services (route, accept, extension, pause and resume,
comments, decision, review, answer, verification request) and has recordings, so the
timeline holds well over ten entries; the page must still answer in at most 10 queries
for head office and for the branch.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from accounts import roles
from accounts.models import User
from recordings.models import CallRecording
from tests.conftest import PINNED_TODAY
from tests.recordings.conftest import make_recording
from workflow import services
from workflow.models import CaseComment, Pause
from workflow.timeline import timeline_entries

from .conftest import at, fresh

pytestmark = pytest.mark.django_db

MAX_QUERIES = 10


@pytest.fixture
def full_case(org_tree, staff, new_case, settings, tmp_path, pin_clock):
    """A case that has been through nearly everything, with two recordings."""
    pin_clock(PINNED_TODAY)
    settings.MEDIA_ROOT = tmp_path / "media"
    c = new_case(org_tree.bj, received_at=at(2026, 10, 5))
    day = c.received_at
    services.case_route(complaint_id=c.pk, actor=staff.ho_officer, now=day + timedelta(minutes=20))
    services.case_accept(complaint_id=c.pk, actor=staff.bj_manager, now=day + timedelta(hours=1))
    services.case_assign(
        complaint_id=c.pk, actor=staff.bj_manager, handler_id=staff.bj_handler.pk, now=day + timedelta(hours=2)
    )
    services.extension_request(
        complaint_id=c.pk, actor=staff.bj_handler, reason="需调取多笔交易流水", now=at(2026, 10, 7)
    )
    req = c.extension_requests.get()
    services.extension_decide(request_id=req.pk, actor=staff.bj_manager, approve=True, now=at(2026, 10, 8))
    services.case_start_investigation(complaint_id=c.pk, actor=staff.bj_handler, now=at(2026, 10, 8, 11))
    services.case_pause(
        complaint_id=c.pk,
        actor=staff.bj_handler,
        reason=Pause.Reason.values[0],
        note="委托司法鉴定签名真伪",
        reference="JD-2026-118",
        expected_end=date(2026, 10, 20),
        now=at(2026, 10, 9),
    )
    services.pause_decide(complaint_id=c.pk, actor=staff.bj_manager, approve=True, now=at(2026, 10, 9, 14))
    services.case_resume(complaint_id=c.pk, actor=staff.bj_handler, reason="鉴定完成", now=at(2026, 10, 16))
    for i in range(3):
        services.case_comment(
            complaint_id=c.pk, actor=staff.bj_handler, body=f"第{i + 1}次联系客户", now=at(2026, 10, 17, 9 + i)
        )
    services.involved_staff_add(
        complaint_id=c.pk, actor=staff.bj_manager, user_id=staff.bj_handler2.pk, now=at(2026, 10, 18)
    )
    services.case_draft_decision(
        complaint_id=c.pk,
        actor=staff.bj_handler,
        text="经核实，退还年费。",
        proposed_result="upheld",
        redress_amount="300",
        redress_type="refund",
        root_cause="C0202",
        now=at(2026, 10, 20),
    )
    services.case_submit_for_review(complaint_id=c.pk, actor=staff.bj_handler, now=at(2026, 10, 20, 11))
    services.case_review(complaint_id=c.pk, actor=staff.ho_approver, approve=True, now=at(2026, 10, 21))
    services.case_respond(complaint_id=c.pk, actor=staff.bj_handler, now=at(2026, 10, 22))
    services.verification_request(
        complaint_id=c.pk,
        actor=staff.ho_officer,
        requested_on=date(2026, 11, 2),
        reason="客户不认可",
        now=at(2026, 11, 2),
    )
    c = fresh(c)
    for tag in ("a", "b"):
        make_recording(c, tag=tag)
    return c


def test_the_full_case_holds_what_the_page_must_show(full_case):
    assert len(timeline_entries(full_case)) >= 10
    assert full_case.pauses.count() == 1 and full_case.extension_level == 1
    assert full_case.verifications.count() == 1 and CaseComment.objects.filter(complaint=full_case).count() == 3
    assert CallRecording.objects.filter(complaint=full_case).count() == 2


@pytest.fixture
def open_case(org_tree, staff, new_case, settings, tmp_path, pin_clock):
    """A case still being handled: assigned, with an extension and a pause both waiting for the
    manager, 回避 staff, comments and a recording (the action list is at its longest here)."""
    pin_clock(PINNED_TODAY)
    settings.MEDIA_ROOT = tmp_path / "media"
    c = new_case(org_tree.bj, received_at=at(2026, 11, 2))
    day = c.received_at
    services.case_route(complaint_id=c.pk, actor=staff.ho_officer, now=day + timedelta(minutes=20))
    services.case_accept(complaint_id=c.pk, actor=staff.bj_manager, now=day + timedelta(hours=1))
    services.case_assign(
        complaint_id=c.pk, actor=staff.bj_manager, handler_id=staff.bj_handler.pk, now=day + timedelta(hours=2)
    )
    services.case_start_investigation(complaint_id=c.pk, actor=staff.bj_handler, now=at(2026, 11, 3))
    services.involved_staff_add(
        complaint_id=c.pk, actor=staff.bj_manager, user_id=staff.bj_handler2.pk, now=at(2026, 11, 3, 11)
    )
    services.extension_request(complaint_id=c.pk, actor=staff.bj_handler, reason="需调取流水", now=at(2026, 11, 4))
    services.case_pause(
        complaint_id=c.pk,
        actor=staff.bj_handler,
        reason=Pause.Reason.values[0],
        note="委托司法鉴定",
        reference="JD-2026-200",
        expected_end=date(2026, 11, 20),
        now=at(2026, 11, 4, 11),
    )
    for i in range(2):
        services.case_comment(complaint_id=c.pk, actor=staff.bj_handler, body=f"联系{i}", now=at(2026, 11, 5, 9 + i))
    c = fresh(c)
    make_recording(c, tag="o")
    return c


# Every role that sees a Beijing case: head office (officer, approver, agent, auditor, listening
# manager, administrator) and the branch (manager, handler, listening manager).
ROLES = [
    "ho_officer", "ho_approver", "agent", "auditor", "ho_listener", "admin", "bj_manager", "bj_handler", "bj_listener",
]  # fmt: skip
# The people the workflow's ``staff`` fixture does not hold: (role, organisation).
OTHERS = {
    "ho_listener": (roles.LISTENING_MANAGER, "ho"),
    "bj_listener": (roles.LISTENING_MANAGER, "bj"),
    "admin": (roles.ADMIN, "ho"),
}


@pytest.fixture
def person(staff, org_tree, make_user):
    """``person(who)``: the user behind a name of ``ROLES``. The administrator is Django staff and
    superuser too, as ``seed_demo`` makes one."""

    def get(who: str) -> User:
        if who not in OTHERS:
            return getattr(staff, who)
        role, org = OTHERS[who]
        user = make_user(role, getattr(org_tree, org), username=who)
        if role == roles.ADMIN:
            User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
            user = User.objects.get(pk=user.pk)
        return user

    return get


def test_every_role_is_measured(person):
    """A role added to ``accounts.roles`` is added here too (the budget holds for every role)."""
    assert {role for who in ROLES for role in person(who).role_set} == set(roles.ROLE_LABELS)


# Before issue 13's work the page cost 17-20 queries (25 for a head-office approver): the same
# 回避 lookup, decisions and requests read again by each rule. Now: the session; the user with
# organisation and roles; the case; its relatives; the customer's cards; the decisions; the
# workflow's rows of the case in one query (log, comments, notifications, pauses, pending
# requests, 回避 staff, assignees); the recordings and their segments.


def _page_queries(client, user, case, django_assert_max_num_queries, budget=MAX_QUERIES):
    client.force_login(user)
    url = reverse("workflow:case", args=[case.pk])
    client.get(url)  # warm the per-process caches (calendar) like any earlier page would
    with django_assert_max_num_queries(budget) as captured:
        resp = client.get(url)
    assert resp.status_code == 200
    return resp.content.decode(), len(captured.captured_queries)


@pytest.mark.parametrize("who", ROLES)
def test_case_page_has_every_panel_in_at_most_ten_queries(
    client, person, full_case, who, django_assert_max_num_queries
):
    html, _n = _page_queries(client, person(who), full_case, django_assert_max_num_queries)
    # Every app's panel is on it: the clock and actions, the recordings, the timeline, the customer.
    assert 'id="wf-clock"' in html and "data-rec-panel" in html and 'id="wf-timeline"' in html
    assert html.count('class="rec-row"') == 2 and "登记投诉" in html
    assert "第3次联系客户" in html and "JD-2026-118" in html
    assert full_case.customer.salutation in html


@pytest.mark.parametrize("who", ROLES)
def test_open_case_with_pending_requests_answers_in_at_most_ten_queries(
    client, person, open_case, who, django_assert_max_num_queries
):
    html, _n = _page_queries(client, person(who), open_case, django_assert_max_num_queries)
    assert html.count('class="rec-row"') == 1 and "联系1" in html and "JD-2026-200" in html
    if who == "bj_manager":  # the manager decides both pending requests and may reassign, from this page
        for action in ("decide_extension", "decide_pause", "assign"):
            assert reverse("workflow:act", args=[open_case.pk, action]) in html


@pytest.mark.parametrize("who", ROLES)
def test_new_case_answers_in_at_most_ten_queries(
    client, person, org_tree, new_case, who, django_assert_max_num_queries
):
    """Just registered: head office's routing form lists the branches (one more read)."""
    case = new_case(org_tree.bj)
    html, _n = _page_queries(client, person(who), case, django_assert_max_num_queries)
    assert (reverse("workflow:act", args=[case.pk, "route"]) in html) == (who == "ho_officer")


@pytest.mark.parametrize("who", ROLES)
def test_case_page_costs_the_same_however_much_the_case_holds(
    client, staff, person, full_case, who, django_assert_max_num_queries
):
    user = person(who)
    _html, before = _page_queries(client, user, full_case, django_assert_max_num_queries)
    for tag in ("c", "d", "e"):
        make_recording(full_case, tag=tag)
    for i in range(5):
        services.case_comment(
            complaint_id=full_case.pk, actor=staff.ho_officer, body=f"补充说明{i}", now=at(2026, 11, 3, 9 + i)
        )
    html, after = _page_queries(client, user, full_case, django_assert_max_num_queries, before)
    assert after == before and html.count('class="rec-row"') == 5 and "补充说明4" in html


def test_the_old_address_redirects_permanently_keeping_the_query(client, staff, org_tree, new_case):
    case = new_case(org_tree.bj)
    client.force_login(staff.bj_manager)
    resp = client.get(reverse("complaints:detail", args=[case.reference]) + "?from=mail&x=1")
    assert resp.status_code == 301
    assert resp["Location"] == reverse("workflow:case", args=[case.pk]) + "?from=mail&x=1"
    assert client.get(reverse("complaints:detail", args=[case.reference]))["Location"] == reverse(
        "workflow:case", args=[case.pk]
    )


def test_the_old_address_outside_scope_is_404_and_names_no_case(client, staff, org_tree, new_case):
    case = new_case(org_tree.sh)
    client.force_login(staff.bj_manager)
    resp = client.get(reverse("complaints:detail", args=[case.reference]))
    assert resp.status_code == 404 and str(case.pk) not in resp.get("Location", "")
    client.force_login(staff.bj_cy_handler)  # a sub-branch does not see its branch's cases
    assert client.get(reverse("complaints:detail", args=[new_case(org_tree.bj).reference])).status_code == 404


def test_every_case_link_points_at_the_one_page(client, staff, org_tree, new_case):
    """Inbox rows, notifications and the search list all link to workflow:case."""
    from accounts.models import Notification

    case = new_case(org_tree.bj)
    page = reverse("workflow:case", args=[case.pk])
    client.force_login(staff.ho_officer)
    assert f'href="{page}"' in client.get(reverse("workflow:inbox")).content.decode()
    assert f'href="{page}"' in client.get(reverse("complaints:list")).content.decode()
    services.case_route(complaint_id=case.pk, actor=staff.ho_officer)
    about_case = Notification.objects.filter(target_type="complaints.complaint", target_id=case.pk)
    assert about_case.exists()
    assert set(about_case.values_list("url", flat=True)) == {page}
