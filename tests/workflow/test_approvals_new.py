"""Issue 14, approval queue: "new since you last looked" markers, newest-first order and a badge.

A draft that reaches head office's review, or an extension request made, after the approver or
manager last opened 审批队列 is marked 新 there and counted in the top bar's 新审批 badge until
they open the queue again; 最新在前 puts it first however far its deadline is.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints.models import Complaint
from workflow import approval_selectors, services
from workflow.models import InboxSeen

from .conftest import at, put

pytestmark = pytest.mark.django_db

DAY1 = at(2026, 12, 1, 9)


def _new_ids(html: str, section: str) -> set[int]:
    part = html.split(f'id="wf-{section}"', 1)[1].split("</section>", 1)[0]
    return {int(pk) for pk in re.findall(r'<li class="wf-case new" data-case="(\d+)">', part)}


def _row_ids(html: str, section: str) -> list[int]:
    part = html.split(f'id="wf-{section}"', 1)[1].split("</section>", 1)[0]
    return [int(pk) for pk in re.findall(r'<li class="wf-case(?: new)?" data-case="(\d+)">', part)]


def _badges(client) -> dict[str, str]:
    """The top bar's badges as the page's one htmx request fetches them: {key: number shown}."""
    html = client.get(reverse("workflow:badges")).content.decode()
    found = dict(re.findall(r'data-badge="(wf_\w+)"[^>]*>[^<]*<b>([^<]+)</b>', html))
    assert len(found) == html.count("<a ")  # every link in the fragment is a badge with its number
    return found


def _badge(client) -> str | None:
    return _badges(client).get("wf_approvals_new")


def _review(case: Complaint, when) -> Complaint:
    """The case reaches head office's review at ``when`` (the transition bumps updated_at)."""
    put(case, "ho_review")
    Complaint.objects.filter(pk=case.pk).update(updated_at=when)
    return Complaint.objects.get(pk=case.pk)


@pytest.fixture
def reviews(org_tree, new_case):
    """26 drafts waiting for review since day 1; a 27th, received later (the latest deadline)."""
    with time_machine.travel(DAY1, tick=False):
        old = [_review(new_case(org_tree.bj if i % 2 else org_tree.sh), DAY1) for i in range(26)]
    with time_machine.travel(DAY1 + timedelta(days=1), tick=False):
        late = new_case(org_tree.bj)
    return old, late


def test_a_review_is_new_to_the_approver_until_they_open_the_queue(client, staff, reviews):
    old, late = reviews
    client.force_login(staff.ho_approver)
    with time_machine.travel(DAY1 + timedelta(days=2), tick=False):
        first = client.get(reverse("workflow:approvals")).content.decode()
    assert _new_ids(first, "reviews") == set(_row_ids(first, "reviews"))  # never looked: all new
    assert len(_row_ids(first, "reviews")) == 25
    late = _review(late, DAY1 + timedelta(days=2, hours=1))
    with time_machine.travel(DAY1 + timedelta(days=2, hours=2), tick=False):
        assert _badge(client) == "1"
        by_deadline = client.get(reverse("workflow:approvals")).content.decode()
        assert late.pk not in _row_ids(by_deadline, "reviews")  # latest deadline: behind 25 older ones
        assert _badge(client) is None  # opening the queue marked it seen
    late = _review(late, DAY1 + timedelta(days=2, hours=3))  # changed again after that look
    with time_machine.travel(DAY1 + timedelta(days=2, hours=4), tick=False):
        newest = client.get(reverse("workflow:approvals"), {"sort": "newest"}).content.decode()
        assert _row_ids(newest, "reviews")[0] == late.pk
        assert _new_ids(newest, "reviews") == {late.pk}
        assert 'href="?section=reviews&amp;sort=newest&amp;page=2"' in newest  # "more" keeps the order
        again = client.get(reverse("workflow:approvals"), {"sort": "newest"}).content.decode()
        assert _new_ids(again, "reviews") == set()


def test_an_extension_request_is_new_to_the_branch_manager(client, staff, org_tree, new_case):
    first, second = (put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler) for _ in range(2))
    with time_machine.travel(DAY1, tick=False):
        services.extension_request(complaint_id=first.pk, actor=staff.bj_handler, reason="案情复杂")
    inbox_seen = DAY1 + timedelta(hours=1)
    with time_machine.travel(inbox_seen, tick=False):
        client.force_login(staff.bj_manager)
        client.get(reverse("workflow:approvals"))
    with time_machine.travel(DAY1 + timedelta(hours=2), tick=False):
        services.extension_request(complaint_id=second.pk, actor=staff.bj_handler, reason="需调取录音")
    with time_machine.travel(DAY1 + timedelta(hours=3), tick=False):
        assert _badge(client) == "1"
        # Another branch's manager and head office's approver (level 1 is the branch's) see nothing new.
        client.force_login(staff.sh_manager)
        assert _badge(client) is None
        client.force_login(staff.bj_manager)
        html = client.get(reverse("workflow:approvals"), {"sort": "newest"}).content.decode()
    assert _row_ids(html, "extensions") == [second.pk, first.pk]
    assert _new_ids(html, "extensions") == {second.pk}
    assert InboxSeen.objects.get(user=staff.bj_manager, inbox="approvals").seen_at == DAY1 + timedelta(hours=3)


def test_opening_an_unchanged_queue_writes_nothing(client, staff, reviews):
    client.force_login(staff.ho_approver)
    with time_machine.travel(DAY1 + timedelta(days=2), tick=False):
        client.get(reverse("workflow:approvals"))
    seen = InboxSeen.objects.get(user=staff.ho_approver, inbox="approvals").seen_at
    with time_machine.travel(DAY1 + timedelta(days=3), tick=False), CaptureQueriesContext(connection) as queries:
        client.get(reverse("workflow:approvals"))
    writes = [q["sql"] for q in queries if "workflow_inboxseen" in q["sql"] and not q["sql"].startswith("SELECT")]
    assert writes == []
    assert InboxSeen.objects.get(user=staff.ho_approver, inbox="approvals").seen_at == seen


def test_the_badge_is_capped_and_only_for_the_queues_users(client, staff, reviews, monkeypatch):
    from accounts.navigation import collect_badges
    from workflow import selectors

    assert approval_selectors.new_count(staff.ho_approver) == 26  # never looked: all
    assert approval_selectors.new_count(staff.ho_approver, cap=3) == 3
    client.force_login(staff.ho_approver)
    monkeypatch.setattr(selectors, "NEW_BADGE_CAP", 3)
    assert _badge(client) == "2+"
    srcs = {who: [b.src for b in collect_badges(getattr(staff, who))] for who in ("ho_approver", "bj_handler")}
    assert srcs == {"ho_approver": [reverse("workflow:badges")], "bj_handler": [reverse("workflow:badges")]}
    client.force_login(staff.bj_handler)
    assert _badge(client) is None  # a handler has no approval queue


def test_the_badge_counts_in_a_few_queries_whatever_the_queue(
    client, staff, reviews, org_tree, new_case, django_assert_max_num_queries
):
    client.force_login(staff.ho_approver)
    with CaptureQueriesContext(connection) as one:
        _badge(client)
    for _ in range(5):
        _review(new_case(org_tree.sh), DAY1)
    with django_assert_max_num_queries(len(one)):
        assert _badge(client) == "31"


def test_one_request_serves_both_badges_and_each_only_to_its_users(client, staff, org_tree, reviews, new_case):
    """Issue 12: the top bar fetches its badges in one request, not one per badge. The approver gets
    both counts from it, a branch handler only the inbox's, a user without an inbox nothing, and
    every page places a single slot for them."""
    from workflow import selectors

    with time_machine.travel(DAY1, tick=False):
        put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler)
    in_inbox = {who: selectors.new_in_inbox_count(getattr(staff, who)) for who in ("ho_approver", "bj_handler")}
    assert min(in_inbox.values()) > 0  # never looked: all of each inbox is new
    expected = {
        "ho_approver": {"wf_inbox_new": str(in_inbox["ho_approver"]), "wf_approvals_new": "26"},  # every waiting draft
        "bj_handler": {"wf_inbox_new": str(in_inbox["bj_handler"])},  # a handler has no approval queue
        "agent": {},  # no inbox at all
    }
    for who, badges in expected.items():
        client.force_login(getattr(staff, who))
        assert _badges(client) == badges, who
        home = client.get(reverse("home")).content.decode()
        assert home.count("data-badge-slot") == (1 if badges else 0), who
