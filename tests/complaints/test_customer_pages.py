"""The customer page beyond its first page (issue 14): a customer with more cases than one page
holds (``CASES_SHOWN``) is read page by page, newest first, keyset on (received_at, id): every
visible case exactly once, the figures over all of them on every page, the same queries on every
page, a bad cursor a message and the first page, another branch's customer a 404 with any cursor.

Unequal on purpose: 张伟 has 7 cases at 朝阳支行 and 2 at 上海分行; with 3 a page, the BJ-CY
handler reads 3 + 3 + 1 of his 7 and never the Shanghai ones; two of his cases share a received
time (the id breaks the tie across a page border).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from complaints import customer_selectors
from complaints.cursor import Cursor, encode
from complaints.models import Complaint
from complaints.services import CustomerInput, complaint_register

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 12, 7, 12, tzinfo=SH)


@pytest.fixture(autouse=True)
def _clock(pin_clock, monkeypatch):
    pin_clock(date(2026, 12, 7), hour=14)
    monkeypatch.setattr(customer_selectors, "CASES_SHOWN", 3)


@pytest.fixture
def cases(agent, org_tree):
    def reg(org, days):
        return complaint_register(
            actor=agent,
            channel="hotline",
            code_a="A0302",
            code_b="B030202",
            code_c="C03",
            summary="年费争议",
            customer=CustomerInput(name="张伟", title="mr", mobile="13912345678"),
            responsible_org=org,
            received_at=NOON - timedelta(days=days),
        )

    cy = [reg(org_tree.bj_cy, d) for d in (1, 2, 3, 3, 5, 6, 7)]  # two on day 3: a tie
    sh = [reg(org_tree.sh, d) for d in (2, 4)]
    return cy, sh


def _refs(html: str) -> list[str]:
    return re.findall(r'<li class="cust-case" data-case="([^"]+)">', html)


def _older(html: str) -> str | None:
    found = re.search(r'href="\?cases=([^"#]+)#customer-cases" id="cases-older"', html)
    return found.group(1) if found else None


def test_every_case_once_newest_first_page_by_page(client, cases, org_tree, make_user):
    cy, sh = cases
    handler = make_user(roles.BRANCH_HANDLER, org_tree.bj_cy, username="cy_hdl")
    client.force_login(handler)
    url = reverse("complaints:customer", args=[cy[0].customer_id])
    pages, token, queries = [], None, []
    while True:
        with CaptureQueriesContext(connection) as read:
            html = client.get(url, {"cases": token} if token else {}).content.decode()
        queries.append(len(read))
        pages.append(_refs(html))
        assert 'id="count-total">7<' in html  # the figures count every visible case on every page
        token = _older(html)
        if token is None:
            break
        assert len(pages) < 5
    assert [len(p) for p in pages] == [3, 3, 1]
    newest_first = sorted(cy, key=lambda c: (c.received_at, c.pk), reverse=True)
    assert sum(pages, []) == [c.reference for c in newest_first]
    assert not {c.reference for c in sh} & set(sum(pages, []))
    assert 'id="cases-newest"' in html and "显示较早的 1 件，共 7 件" in html
    assert max(queries[1:]) <= queries[0]  # a later page costs no more than the first


def test_a_bad_cursor_shows_the_first_page_with_a_message(client, cases, org_tree, make_user):
    cy, _sh = cases
    client.force_login(make_user(roles.BRANCH_HANDLER, org_tree.bj_cy, username="cy_hdl"))
    resp = client.get(reverse("complaints:customer", args=[cy[0].customer_id]), {"cases": "not-a-cursor"})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "无效的翻页游标" in html and len(_refs(html)) == 3 and 'id="cases-newest"' not in html


def test_a_customer_the_user_sees_none_of_is_a_404_with_any_cursor(client, agent, org_tree, make_user):
    only_cy = complaint_register(
        actor=agent,
        channel="hotline",
        code_a="A0302",
        code_b="B030202",
        code_c="C03",
        summary="年费争议",
        customer=CustomerInput(name="李强", title="mr", mobile="13711112222"),
        responsible_org=org_tree.bj_cy,
    )
    client.force_login(make_user(roles.BRANCH_MANAGER, org_tree.sh, username="sh_mgr"))
    url = reverse("complaints:customer", args=[only_cy.customer_id])
    far = encode(Cursor(NOON - timedelta(days=999), 1))
    past_it = encode(Cursor(NOON + timedelta(days=1), 10**9))
    assert client.get(url).status_code == 404
    assert client.get(url, {"cases": far}).status_code == 404
    assert client.get(url, {"cases": past_it}).status_code == 404
    assert Complaint.objects.filter(customer_id=only_cy.customer_id).count() == 1
