"""The workflow journey: HO routes → branch manager assigns → handler drafts on a phone →
HO returns once → branch revises → HO approves → responded → closed; the timeline shows it all."""

from __future__ import annotations

from pathlib import Path

import pytest

from accounts import roles
from complaints.models import Complaint
from tests.browser.steps import act
from tests.complaints.factories import ComplaintFactory
from tests.conftest import browser_login
from workflow.hooks import case_registered

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def people(org_tree, make_user):
    return {
        "agent": make_user(roles.AGENT, org_tree.ho, username="agent1"),
        "ho": make_user(roles.HO_OFFICER, org_tree.ho, username="officer1"),
        "approver": make_user(roles.HO_APPROVER, org_tree.ho, username="approver1"),
        "manager": make_user(roles.BRANCH_MANAGER, org_tree.bj, username="manager1"),
        "handler": make_user(roles.BRANCH_HANDLER, org_tree.bj, username="handler1"),
    }


@pytest.fixture
def session(browser, live_server):
    contexts = []

    def open_as(username: str, *, phone: bool = False):
        size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
        ctx = browser.new_context(viewport=size, is_mobile=phone, has_touch=phone, locale="zh-CN")
        contexts.append(ctx)
        pg = ctx.new_page()
        pg.set_default_timeout(15000)
        pg.base_url = live_server.url
        browser_login(pg, username)
        return pg

    yield open_as
    for ctx in contexts:
        ctx.close()


def state(case_id: int) -> str:
    return Complaint.objects.get(pk=case_id).status


def test_workflow_journey_with_one_return(session, people, org_tree):
    case = ComplaintFactory(responsible_org=org_tree.bj, created_by=people["agent"])
    case_registered(case, actor=people["agent"])

    ho = session("officer1")
    act(ho, case.pk, "route")
    assert state(case.pk) == "routed"

    manager = session("manager1")
    act(manager, case.pk, "accept", {"reason": "已致电客户，确认诉求"})
    act(manager, case.pk, "assign", selects={"handler": str(people["handler"].pk)})
    assert Complaint.objects.get(pk=case.pk).assigned_to == people["handler"]

    phone = session("handler1", phone=True)
    # the handler finds the case in "my cases" on the phone
    phone.goto(f"{phone.base_url}/workflow/mine/")
    assert phone.locator(f'li[data-case="{case.pk}"]').is_visible()
    act(phone, case.pk, "start_investigation")
    act(
        phone,
        case.pk,
        "draft_decision",
        {"text": "经核实，年费系系统误收，拟全额退还。", "redress_amount": "200", "root_cause": "C0202"},
        {"proposed_result": "upheld", "redress_type": "refund"},
    )
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, f"page scrolls sideways at phone width ({width}px)"
    phone.screenshot(path=str(SHOTS / "workflow-draft-phone.png"), full_page=True)
    act(phone, case.pk, "submit_for_review")
    assert state(case.pk) == "ho_review"

    act(ho, case.pk, "return_to_branch", {"comment": "请补充系统误收的日志截图"})
    assert state(case.pk) == "investigating"

    act(
        phone,
        case.pk,
        "draft_decision",
        {"text": "经核实系统日志，年费系误收，全额退还并致歉。", "redress_amount": "200", "root_cause": "C0202"},
        {"proposed_result": "upheld", "redress_type": "refund"},
    )
    act(phone, case.pk, "submit_for_review")

    approver = session("approver1")
    act(approver, case.pk, "approve_decision")
    assert state(case.pk) == "approved"

    act(phone, case.pk, "respond", {"reason": "已电话告知客户"})
    act(manager, case.pk, "close")  # result, redress and root cause come prefilled from the approved draft
    closed = Complaint.objects.get(pk=case.pk)
    assert (closed.status, closed.result, closed.root_cause_code.code) == ("closed", "upheld", "C0202")

    manager.goto(f"{manager.base_url}/workflow/case/{case.pk}/")
    events = manager.locator("#wf-timeline .wf-event").all_inner_texts()
    text = "\n".join(events)
    for step in ("收到投诉", "登记投诉", "派发分行", "受理", "分派经办人", "开始调查", "拟定处理意见", "提交总行审核",
                 "退回分行重办", "审核通过", "已答复客户", "办结", "分行首次响应"):  # fmt: skip
        assert step in text, step
    assert text.count("拟定处理意见") == 2 and "请补充系统误收的日志截图" in text
    manager.screenshot(path=str(SHOTS / "workflow-case-closed.png"), full_page=True)
