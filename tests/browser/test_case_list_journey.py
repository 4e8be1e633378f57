"""Journey (issue 14, item 1: lists): head office on a desktop finds cases by what it sees — a
status and a branch by name, 年费 in the B field, a customer's phone number (never in the URL) —
sorts by deadline, saves the view as a chip and dispatches the ticked cases with one result per
row; a branch manager on a 390 px phone filters by a sub-branch's name and assigns the ticked
cases to a handler, without the page getting wider than the phone. Screenshots in test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from accounts import roles
from accounts.models import User
from complaints.models import Complaint
from complaints.services import CustomerInput, complaint_register
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"
MOBILE = "13812345678"


def _register(agent, org, *, code_b="B030202", mobile=MOBILE, name="李娜", title="ms"):
    return complaint_register(
        actor=agent,
        channel="hotline",
        code_a="A0302",
        code_b=code_b,
        code_c="C03",
        summary="信用卡年费争议" if code_b == "B030202" else "柜面排队时间长",
        details="客户来电反映。",
        customer=CustomerInput(name=name, title=title, mobile=mobile, home_org=org),
    )


def _place(case, org, status="registered"):
    Complaint.objects.filter(pk=case.pk).update(responsible_org=org, status=status)


def _fits(pg) -> None:
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390


def test_head_office_filters_by_name_saves_a_view_and_dispatches(page, org_tree, make_user):
    SHOTS.mkdir(exist_ok=True)
    agent = make_user(roles.AGENT, org_tree.ho, username="agent1")
    make_user(roles.HO_OFFICER, org_tree.ho, username="officer1")
    fee = [_register(agent, org_tree.bj_cy) for _ in range(2)]
    done = _register(agent, org_tree.bj_cy)
    other = _register(agent, org_tree.sh, code_b="B030203", mobile="13900001111", name="王芳")
    for case in fee:
        _place(case, org_tree.bj_cy)
    _place(done, org_tree.bj_cy, status="closed")
    _place(other, org_tree.sh)
    pg = page
    browser_login(pg, "officer1")
    pg.goto(pg.base_url + reverse("complaints:list"))
    pg.locator("#result-count", has_text="共 4 条").wait_for()  # the count arrives after the rows (htmx)

    # Status and branch by their names, 年费 typed in the B field.
    pg.select_option("#id_status", label="已登记")
    pg.select_option("#id_org", label="　朝阳支行")
    pg.fill("input[name=code_b]", "年费")
    with pg.expect_navigation():
        pg.click("#filters button[type=submit]")
    assert "code_b=B030202" in pg.url and "status=registered" in pg.url and "org=BJ-CY" in pg.url
    table = pg.inner_text("#case-table")
    assert all(c.reference in table for c in fee) and done.reference not in table and other.reference not in table
    pg.locator("#result-count", has_text="共 2 条").wait_for()
    assert "按代码 B030202" in pg.content()

    # Sort by deadline; save the view; it comes back as a chip.
    with pg.expect_navigation():
        pg.click("#sort-due")
    assert "sort=due" in pg.url
    pg.click("details.save-view summary")
    pg.fill("details.save-view input[name=name]", "朝阳年费待派发")
    with pg.expect_navigation():
        pg.click("details.save-view button[type=submit]")
    chip = pg.locator("#saved-views a", has_text="朝阳年费待派发")
    assert chip.count() == 1
    pg.screenshot(path=str(SHOTS / "case-list-desktop-filtered.png"), full_page=True)

    # A phone number is searched by POST: found, and not in the address.
    pg.goto(pg.base_url + reverse("complaints:list"))
    pg.fill("input[name=q]", "138 1234 5678")
    with pg.expect_navigation():
        pg.click("#filters button[type=submit]")
    assert "1234" not in pg.url and "customer=" in pg.url
    assert "138****5678" in pg.inner_text("#number-filter") and MOBILE not in pg.content()
    pg.locator("#result-count", has_text="共 3 条").wait_for()

    # Tick every row on the page and dispatch: two succeed, the closed one says why.
    pg.check("#pick-all")
    pg.click("#bulk-form button[value=route]")
    pg.wait_for_selector("#bulk-results .bulk-result-list")
    results = pg.inner_text("#bulk-results")
    assert "成功 2 件，未处理 1 件" in results and "已派发至 朝阳支行" in results and "不能再办理" in results
    assert {Complaint.objects.get(pk=c.pk).status for c in fee} == {"routed"}
    assert all(pg.inner_text(f"#status-{c.pk}") == "已派发分行" for c in fee)  # the rows show it at once
    pg.screenshot(path=str(SHOTS / "case-list-desktop-bulk.png"), full_page=True)

    # The chip brings the saved filters back.
    pg.goto(pg.base_url + reverse("complaints:list"))
    with pg.expect_navigation():
        pg.click("#saved-views a:has-text('朝阳年费待派发')")
    assert "sort=due" in pg.url and "code_b=B030202" in pg.url


def test_branch_manager_assigns_from_the_list_on_a_phone(phone_page, org_tree, make_user):
    SHOTS.mkdir(exist_ok=True)
    agent = make_user(roles.AGENT, org_tree.ho, username="agent1")
    make_user(roles.BRANCH_MANAGER, org_tree.bj, username="manager1")
    handler = make_user(roles.BRANCH_HANDLER, org_tree.bj_cy, username="handler1")
    User.objects.filter(pk=handler.pk).update(display_name="赵经办")
    mine = [_register(agent, org_tree.bj_cy) for _ in range(2)]
    elsewhere = _register(agent, org_tree.bj, code_b="B030203", mobile="13900001111", name="王芳")
    for case in mine:
        _place(case, org_tree.bj_cy, status="accepted")
    _place(elsewhere, org_tree.bj, status="accepted")
    pg = phone_page
    browser_login(pg, "manager1")
    pg.goto(pg.base_url + reverse("complaints:list"))
    _fits(pg)
    assert "上海分行" not in pg.content()
    pg.select_option("#id_org", label="　朝阳支行")
    with pg.expect_navigation():
        pg.click("#filters button[type=submit]")
    table = pg.inner_text("#case-table")
    assert all(c.reference in table for c in mine) and elsewhere.reference not in table
    _fits(pg)
    pg.screenshot(path=str(SHOTS / "case-list-phone-filtered.png"), full_page=True)
    pg.check("#pick-all")
    pg.select_option("#bulk-handler", label="赵经办 · 朝阳支行")
    pg.click("#bulk-form button[value=assign]")
    pg.wait_for_selector("#bulk-results .bulk-result-list")
    assert "成功 2 件，未处理 0 件" in pg.inner_text("#bulk-results")
    assert {Complaint.objects.get(pk=c.pk).assigned_to_id for c in mine} == {handler.pk}
    _fits(pg)
    pg.screenshot(path=str(SHOTS / "case-list-phone-assigned.png"), full_page=True)
