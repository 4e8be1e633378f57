"""Issue 14, inbox: "new since you last looked" markers, the top bar's badge, and sort choices.

A case that arrives in (or changes in) a user's inbox after they last opened it is marked new
on the inbox page and counted in the top bar until that user opens the inbox again; the
newest-first order puts it on page 1 however far its deadline is.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint
from workflow import selectors, services
from workflow.models import InboxSeen
from workflow.services.seen import inbox_seen_mark

from .conftest import at, put

pytestmark = pytest.mark.django_db

DAY1 = at(2026, 12, 1, 9)


def _new_ids(html: str) -> set[int]:
    rows = re.findall(r'<li class="wf-case new" data-case="(\d+)">', html)
    return {int(pk) for pk in rows}


def _row_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<li class="wf-case(?: new)?" data-case="(\d+)">', html)]


def _badge(client) -> str | None:
    """The top bar's inbox badge as the page's htmx request fetches it (None: no badge). The
    fragment holds the approval queue's badge too (one request for both, issue 12)."""
    html = client.get(reverse("workflow:badges")).content.decode()
    found = re.search(r'data-badge="wf_inbox_new"[^>]*>[^<]*<b>([^<]+)</b>', html)
    assert set(re.findall(r'data-badge="([^"]+)"', html)) <= {"wf_inbox_new", "wf_approvals_new"}
    return found.group(1) if found else None


@pytest.fixture
def routed_later(org_tree, staff, new_case):
    """BJ has 26 routed cases received on day 1; a 27th, received on day 2, is routed on day 3."""
    with time_machine.travel(DAY1, tick=False):
        old = [put(new_case(org_tree.bj), "routed") for _ in range(26)]
    with time_machine.travel(DAY1 + timedelta(days=1), tick=False):
        late = new_case(org_tree.bj)
    return old, late


def _route(staff, case, when):
    with time_machine.travel(when, tick=False):
        services.case_route(complaint_id=case.pk, actor=staff.ho_officer)


def test_a_routed_case_is_new_to_the_manager_until_they_open_the_inbox(client, staff, routed_later):
    old, late = routed_later
    client.force_login(staff.bj_manager)
    with time_machine.travel(DAY1 + timedelta(days=2), tick=False):
        first = client.get(reverse("workflow:inbox")).content.decode()
    assert _new_ids(first) == {c.pk for c in old[:25]}  # never looked: all of page 1 is new
    _route(staff, late, DAY1 + timedelta(days=2, hours=1))
    with time_machine.travel(DAY1 + timedelta(days=2, hours=2), tick=False):
        assert _badge(client) == "1"
        seen = client.get(reverse("workflow:inbox"), {"sort": "newest"}).content.decode()
        assert _new_ids(seen) == {late.pk}
        again = client.get(reverse("workflow:inbox"), {"sort": "newest"}).content.decode()
        assert _new_ids(again) == set()
        assert _badge(client) is None


def test_another_users_view_does_not_clear_mine(client, staff, routed_later):
    _old, late = routed_later
    for user in (staff.bj_manager, staff.bj_handler):
        inbox_seen_mark(user=user, inbox="inbox", at=DAY1 + timedelta(days=2))
    _route(staff, late, DAY1 + timedelta(days=2, hours=1))
    with time_machine.travel(DAY1 + timedelta(days=2, hours=2), tick=False):
        client.force_login(staff.bj_handler)
        assert _new_ids(client.get(reverse("workflow:inbox"), {"sort": "newest"}).content.decode()) == {late.pk}
        assert selectors.new_in_inbox_count(staff.bj_handler) == 0
        client.force_login(staff.bj_manager)
        assert _badge(client) == "1"
        assert _new_ids(client.get(reverse("workflow:inbox"), {"sort": "newest"}).content.decode()) == {late.pk}
    # Another branch never sees it, as new or otherwise.
    assert selectors.new_in_inbox_count(staff.sh_manager) == 0


def test_newest_first_puts_the_just_routed_case_on_page_1(client, staff, routed_later):
    _old, late = routed_later
    _route(staff, late, DAY1 + timedelta(days=2, hours=1))
    client.force_login(staff.bj_manager)
    with time_machine.travel(DAY1 + timedelta(days=2, hours=2), tick=False):
        by_deadline = client.get(reverse("workflow:inbox")).content.decode()
        newest = client.get(reverse("workflow:inbox"), {"sort": "newest"}).content.decode()
        page2 = client.get(reverse("workflow:inbox"), {"sort": "newest", "page": 2}).content.decode()
    assert late.pk not in _row_ids(by_deadline)  # its deadline is the latest: page 2 by deadline
    assert _row_ids(newest)[0] == late.pk
    assert len(_row_ids(newest)) == 25 and len(_row_ids(page2)) == 2
    assert set(_row_ids(newest)) | set(_row_ids(page2)) == {c.pk for c in _old} | {late.pk}
    assert 'href="?bucket=&amp;sort=newest&amp;page=2"' in newest  # the pager keeps the order


def test_the_badge_is_capped(client, staff, org_tree, new_case, monkeypatch):
    with time_machine.travel(DAY1, tick=False):
        for _ in range(4):
            put(new_case(org_tree.sh), "routed")
    assert selectors.new_in_inbox_count(staff.sh_manager) == 4  # never looked: all
    assert selectors.new_in_inbox_count(staff.sh_manager, cap=3) == 3
    client.force_login(staff.sh_manager)
    monkeypatch.setattr(selectors, "NEW_BADGE_CAP", 3)  # as "99+" at the real cap of 100
    assert _badge(client) == "2+"
    monkeypatch.setattr(selectors, "NEW_BADGE_CAP", 5)
    assert _badge(client) == "4"


def test_seen_time_never_moves_back_and_bad_inbox_is_refused(staff):
    later, earlier = DAY1 + timedelta(hours=2), DAY1
    inbox_seen_mark(user=staff.bj_manager, inbox="inbox", at=later)
    inbox_seen_mark(user=staff.bj_manager, inbox="inbox", at=earlier)  # an older tab
    assert InboxSeen.objects.get(user=staff.bj_manager, inbox="inbox").seen_at == later
    with pytest.raises(ValueError, match="unknown inbox"):
        inbox_seen_mark(user=staff.bj_manager, inbox="nope", at=later)


@pytest.mark.parametrize(("who", "slot"), [("bj_manager", True), ("ho_approver", True), ("agent", False)])
def test_the_top_bar_places_the_badge_for_inbox_users_without_counting(
    client, staff, routed_later, who, slot, django_assert_max_num_queries
):
    from accounts.navigation import collect_badges

    user = getattr(staff, who)
    with django_assert_max_num_queries(0):  # the page only places it: the count comes after (htmx)
        assert bool(collect_badges(user)) is slot
    client.force_login(user)
    home = client.get(reverse("home")).content.decode()
    assert home.count(f'hx-get="{reverse("workflow:badges")}"') == int(slot)  # one request for every badge


@pytest.mark.parametrize("n", [1, 30])
def test_the_badge_costs_the_same_queries_for_1_or_30_new_cases(
    client, staff, org_tree, new_case, n, django_assert_num_queries
):
    for _ in range(n):
        put(new_case(org_tree.bj), "routed")
    client.force_login(staff.bj_manager)
    # session, user, the user's branch subtree (the scope), the inbox's capped count (last-seen time
    # inside it), and in the same request the manager's approval queue: extensions, verifications
    with django_assert_num_queries(6):
        assert _badge(client) == str(n)


def test_my_cases_marks_new_and_sorts_newest(client, staff, org_tree, new_case):
    with time_machine.travel(DAY1, tick=False):
        a = put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler)
        b = put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler)
    client.force_login(staff.bj_handler)
    with time_machine.travel(DAY1 + timedelta(hours=1), tick=False):
        client.get(reverse("workflow:mine"))
    with time_machine.travel(DAY1 + timedelta(hours=2), tick=False):
        Complaint.objects.filter(pk=a.pk).update(updated_at=timezone.now())  # a's case changed since
        html = client.get(reverse("workflow:mine"), {"sort": "newest"}).content.decode()
    assert _new_ids(html) == {a.pk}
    assert _row_ids(html) == [a.pk, b.pk]


@pytest.mark.parametrize("sort", ["deadline", "newest", "bogus"])
def test_inbox_queries_do_not_grow_with_the_page(
    client, staff, org_tree, new_case, sort, django_assert_max_num_queries
):
    client.force_login(staff.bj_manager)
    client.get(reverse("workflow:inbox"))  # the first visit also creates the last-seen row

    def cost(n):
        for _ in range(n):
            put(new_case(org_tree.bj), "routed")
        with django_assert_max_num_queries(100) as captured:
            assert client.get(reverse("workflow:inbox"), {"sort": sort}).status_code == 200
        return len(captured)

    assert cost(1) == cost(20)


def test_sort_choices_and_markers_read_in_english(client, staff, routed_later):
    client.force_login(staff.bj_manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the switch in the top bar
    html = client.get(reverse("workflow:inbox")).content.decode()
    assert "By deadline" in html and "Newest first" in html and ">New</span>" in html
    badge = client.get(reverse("workflow:badges")).content.decode()
    assert badge.strip() == ""  # seen just now: nothing new, no badge at all


def _seen_writes(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "workflow_inboxseen" in q["sql"] and "SELECT" not in q["sql"][:7]]


@pytest.mark.parametrize("inbox", ["inbox", "mine"])
def test_opening_an_unchanged_inbox_writes_nothing(client, staff, routed_later, inbox):
    """Issue 12: no write per page view. The seen time moves only when a case of that inbox changed
    since the last look, and what the next visit shows is the same either way."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    old, late = routed_later
    user = staff.bj_manager if inbox == "inbox" else staff.bj_handler
    Complaint.objects.filter(pk__in=[c.pk for c in old[:2]]).update(
        assigned_to=staff.bj_handler, updated_at=DAY1 + timedelta(days=1)
    )
    url = reverse("workflow:inbox" if inbox == "inbox" else "workflow:mine")
    client.force_login(user)
    first = DAY1 + timedelta(days=2)
    with time_machine.travel(first, tick=False):
        client.get(url)
    assert InboxSeen.objects.get(user=user, inbox=inbox).seen_at == first
    with time_machine.travel(first + timedelta(hours=1), tick=False), CaptureQueriesContext(connection) as ctx:
        page = client.get(url).content.decode()
    assert _seen_writes(ctx) == [] and _new_ids(page) == set()
    assert InboxSeen.objects.get(user=user, inbox=inbox).seen_at == first
    changed = old[0]
    with time_machine.travel(first + timedelta(hours=2), tick=False):
        Complaint.objects.filter(pk=changed.pk).update(updated_at=timezone.now())
    third = first + timedelta(hours=3)
    with time_machine.travel(third, tick=False), CaptureQueriesContext(connection) as ctx:
        page = client.get(url, {"sort": "newest"}).content.decode()
    assert _new_ids(page) == {changed.pk} and len(_seen_writes(ctx)) == 1
    assert InboxSeen.objects.get(user=user, inbox=inbox).seen_at == third
    with time_machine.travel(third + timedelta(hours=1), tick=False):
        assert _new_ids(client.get(url, {"sort": "newest"}).content.decode()) == set()


def test_inbox_rows_link_each_case_from_the_pages_prefix(client, staff, routed_later):
    """Issue 12: the rows' links come from one prefix per page; each is still the case's own URL."""
    old, _late = routed_later
    client.force_login(staff.bj_manager)
    with time_machine.travel(DAY1 + timedelta(days=2), tick=False):
        html = client.get(reverse("workflow:inbox")).content.decode()
    rows = _row_ids(html)
    assert len(rows) == 25
    for pk in rows:
        assert f'<a class="ref" href="{reverse("workflow:case", args=[pk])}">' in html
