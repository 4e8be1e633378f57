"""The inbox tiles' counts link to the case list filtered the same way (issue 14, inbox point):
following a tile's count opens the list whose own count (the number htmx fills in) is the tile's
number, listing the very cases of that tile in the inbox. Unequal branches (BJ with its
sub-branch, SH), every bucket non-empty somewhere and a closed case in none."""

from __future__ import annotations

import html as html_lib
import re
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.access_registry import REF_RE

from .conftest import put

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 7)


@pytest.fixture(autouse=True)
def _clock(pin_clock):
    pin_clock(TODAY)
    cache.clear()  # the list's count is cached per user and filters
    yield
    cache.clear()


@pytest.fixture
def world(org_tree, staff, new_case):
    d = TODAY
    bj, cy, sh = org_tree.bj, org_tree.bj_cy, org_tree.sh
    return [
        put(new_case(bj), "investigating", due_date=d - timedelta(days=2), assigned_to=staff.bj_handler),  # overdue
        put(new_case(bj), "accepted", due_date=d),  # due today, unassigned
        put(new_case(cy), "routed", due_date=d + timedelta(days=1)),  # due soon
        put(new_case(cy), "paused", due_date=d - timedelta(days=5)),  # paused: not overdue
        put(new_case(sh), "ho_review", due_date=d + timedelta(days=9), assigned_to=staff.sh_handler),
        put(new_case(sh), "registered", due_date=d + timedelta(days=14)),  # to route
        put(new_case(sh), "investigating", due_date=d - timedelta(days=1)),  # overdue, unassigned
        put(new_case(sh), "responded", due_date=d - timedelta(days=3)),  # answered: in the worklist only
        put(new_case(sh), "closed", due_date=d - timedelta(days=30)),  # in no tile
    ]


def _tiles(html: str) -> dict[str, tuple[int, str]]:
    """data-counter -> (the tile's number, the list URL its number links to)."""
    found = re.findall(
        r'<li class="[^"]*" data-counter="(\w+)">\s*<a href="([^"]+)" class="wf-count"[^>]*><b>(\d+)</b></a>', html
    )
    return {key: (int(n), html_lib.unescape(href)) for key, href, n in found}


def _list_count(client, list_url: str) -> tuple[int, set[str]]:
    page = client.get(list_url)
    assert page.status_code == 200
    body = page.content.decode()
    count_url = html_lib.unescape(re.search(r'id="result-count" hx-get="([^"]+)"', body).group(1))
    label = client.get(count_url).content.decode()
    return int(re.search(r"共 ([\d,]+) 条", label).group(1).replace(",", "")), set(REF_RE.findall(body))


@pytest.mark.parametrize("who", ["ho_officer", "bj_manager", "bj_cy_handler", "sh_manager"])
def test_each_tiles_count_opens_the_list_with_that_count_and_those_cases(client, staff, world, who):
    client.force_login(getattr(staff, who))
    tiles = _tiles(client.get(reverse("workflow:inbox")).content.decode())
    assert set(tiles) == {
        "total",
        "overdue",
        "due_today",
        "due_soon",
        "paused",
        "awaiting_ho",
        "to_route",
        "unassigned",
    }
    for key, (n, url) in tiles.items():
        assert url.startswith(reverse("complaints:list") + "?bucket=")
        shown, refs = _list_count(client, url)
        assert shown == n, f"{who}: tile {key} says {n}, the list counts {shown}"
        inbox = client.get(reverse("workflow:inbox"), {"bucket": "" if key == "total" else key})
        assert refs == {c.reference for c in inbox.context["page"]}, key


def test_the_figures_are_the_fixtures(client, staff, world):
    """A guard that the world covers every tile (so the test above compares more than zeros)."""
    client.force_login(staff.ho_officer)
    tiles = _tiles(client.get(reverse("workflow:inbox")).content.decode())
    counts = {k: n for k, (n, _url) in tiles.items()}
    assert counts == {
        "total": 8,
        "overdue": 2,
        "due_today": 1,
        "due_soon": 1,
        "paused": 1,
        "awaiting_ho": 1,
        "to_route": 1,
        "unassigned": 5,
    }
    client.force_login(staff.bj_manager)
    tiles = _tiles(client.get(reverse("workflow:inbox")).content.decode())
    assert {k: n for k, (n, _url) in tiles.items()}["total"] == 4


def test_a_bad_bucket_in_the_list_is_a_message_not_a_500(client, staff, world):
    client.force_login(staff.ho_officer)
    resp = client.get(reverse("complaints:list"), {"bucket": "nonsense"})
    assert resp.status_code == 400
    assert "nonsense" in resp.content.decode()


def test_the_worklist_filter_is_kept_in_a_saved_view(client, staff, world):
    from complaints.models import SavedView

    client.force_login(staff.ho_officer)
    client.post(reverse("complaints:saved_view_save"), {"name": "超期", "query": "bucket=overdue"})
    assert SavedView.objects.get(user=staff.ho_officer).query == "bucket=overdue"


def test_each_overview_number_opens_the_list_with_that_count(client, staff, world, org_tree, new_case):
    """Head office's branch overview: every number of a branch row and of the totals links to the list
    filtered by that branch (its sub-branches folded in, as the row does) and bucket; the list counts
    the same. Head office's own cases form a row without links (the org filter takes a subtree)."""
    put(new_case(org_tree.ho), "routed", due_date=TODAY - timedelta(days=1))
    client.force_login(staff.ho_officer)
    html = client.get(reverse("workflow:overview")).content.decode()
    rows = dict(re.findall(r'<tr data-org="([\w-]+)">(.*?)</tr>', html, re.S))
    assert set(rows) == {"BJ", "SH", "HO"} and "data-list-link" not in rows["HO"]
    links = re.findall(r'<a href="([^"]+)" data-list-link>(\d+)</a>', html)
    assert len(links) == 2 * 7 + 7  # two branch rows and the totals, seven linked columns each
    for href, n in links:
        shown, _refs = _list_count(client, html_lib.unescape(href))
        assert shown == int(n), f"{href}: the overview says {n}, the list counts {shown}"
