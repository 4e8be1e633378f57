"""Journeys over the audit controls of issue 17, through the case page's forms.

1. A handler asks to pause the clock for an appraisal (type, commission number, the
   commission letter uploaded, expected end); the branch manager approves. The branch
   manager asks for his own extension; head office approves it.
2. The decision is told by phone and the customer's receipt date recorded; head office
   enters the customer's verification request (date, channel); the branch manager (the
   upper level of a sub-branch) decides it. A manager trying to give a case to the
   handler it names is refused for 回避, and told why.

Every page is also checked for Content-Security-Policy violations.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts import roles
from complaints.models import Complaint
from tests.complaints.factories import ComplaintFactory
from tests.conftest import _watch_csp, browser_login
from workflow import services
from workflow.hooks import case_registered
from workflow.models import CaseTransition, PauseRequest

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
        "cy": make_user(roles.BRANCH_HANDLER, org_tree.bj_cy, username="cyhandler1"),
    }


@pytest.fixture
def session(browser, live_server):
    opened = []

    def open_as(username: str):
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        pg = ctx.new_page()
        pg.set_default_timeout(15000)
        pg.base_url = live_server.url
        opened.append((ctx, _watch_csp(ctx, pg)))
        browser_login(pg, username)
        return pg

    yield open_as
    for ctx, _ in opened:
        ctx.close()
    assert [v for _, found in opened for v in found] == [], "Content-Security-Policy violations"


def open_box(pg, case_id: int, action: str):
    pg.goto(f"{pg.base_url}/workflow/case/{case_id}/")
    box = pg.locator(f'details.wf-action[data-action="{action}"]')
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    return box


def submit(pg, box, button: str = "button[type=submit]", *, ok: bool = True) -> None:
    with pg.expect_navigation():
        box.locator(button).first.click()
    errors = pg.locator(".msg-error").all_inner_texts()
    assert (errors == []) is ok, errors


def new_case(org, people, *, days_ago: float, involved=()) -> Complaint:
    received = timezone.now() - timedelta(days=days_ago)
    c = ComplaintFactory(responsible_org=org, created_by=people["agent"], received_at=received)
    Complaint.objects.filter(pk=c.pk).update(created_at=received)
    c.created_at = received
    case_registered(c, actor=people["agent"], involved_staff=list(involved))
    return c


def test_pause_with_evidence_and_a_managers_extension(session, people, org_tree, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    today = timezone.localdate()
    paused = new_case(org_tree.bj, people, days_ago=3)
    services.case_route(complaint_id=paused.pk, actor=people["ho"])
    services.case_accept(complaint_id=paused.pk, actor=people["handler"])
    services.case_start_investigation(complaint_id=paused.pk, actor=people["handler"])

    handler = session("handler1")
    box = open_box(handler, paused.pk, "request_pause")
    box.locator('select[name="request_pause-pause_reason"]').select_option("appraisal")
    box.locator('[name="request_pause-reference"]').fill("JD-2026-0917")
    box.locator('[name="request_pause-evidence"]').set_input_files(
        files=[{"name": "委托书.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n% commission letter\n"}]
    )
    box.locator('[name="request_pause-expected_end"]').fill((today + timedelta(days=30)).isoformat())
    box.locator('[name="request_pause-note"]').fill("委托司法鉴定中心鉴定签名笔迹")
    submit(handler, box)
    req = PauseRequest.objects.get(complaint=paused)
    assert (req.status, req.reference, req.expected_end) == ("pending", "JD-2026-0917", today + timedelta(days=30))
    assert req.evidence.name.endswith(".pdf") and Path(req.evidence.path).read_bytes().startswith(b"%PDF")
    assert Complaint.objects.get(pk=paused.pk).status == "investigating"  # asking does not stop the clock

    manager = session("manager1")
    box = open_box(manager, paused.pk, "decide_pause")
    box.locator('[name="decide_pause-comment"]').fill("已核对鉴定委托书")
    submit(manager, box, 'button[value="approve"]')
    assert Complaint.objects.get(pk=paused.pk).status == "paused"
    assert PauseRequest.objects.get(pk=req.pk).decided_by == people["manager"]
    timeline = "\n".join(manager.locator("#wf-timeline .wf-event").all_inner_texts())
    assert "暂停计时（已批准）" in timeline and "鉴定委托编号 JD-2026-0917" in timeline
    assert manager.locator("#wf-clock .tag.warn", has_text="暂停计时").count() == 1

    # The branch manager handles a case himself and asks for more time: head office approves.
    own = new_case(org_tree.bj, people, days_ago=5)
    services.case_route(complaint_id=own.pk, actor=people["ho"])
    services.case_accept(complaint_id=own.pk, actor=people["manager"])
    box = open_box(manager, own.pk, "request_extension")
    box.locator('[name="request_extension-reason"]').fill("需调取第三方支付机构交易记录")
    submit(manager, box)
    manager.goto(f"{manager.base_url}/workflow/case/{own.pk}/")  # his own request: no approve button for him
    assert manager.locator('details.wf-action[data-action="decide_extension"]').count() == 0
    assert Complaint.objects.get(pk=own.pk).extension_level == 0

    approver = session("approver1")
    box = open_box(approver, own.pk, "decide_extension")
    submit(approver, box, 'button[value="approve"]')
    own.refresh_from_db()
    ext = own.extension_requests.get()
    assert own.extension_level == 1 and (ext.status, ext.decided_by) == ("approved", people["approver"])
    assert "延期已批准" in "\n".join(approver.locator("#wf-timeline .wf-event").all_inner_texts())
    approver.screenshot(path=str(SHOTS / "audit-extension-approved.png"), full_page=True)


def test_verification_decided_by_the_upper_level_and_a_recusal_refusal(session, people, org_tree):
    today = timezone.localdate()
    c = new_case(org_tree.bj_cy, people, days_ago=6)
    cy = people["cy"]
    services.case_route(complaint_id=c.pk, actor=people["ho"])
    services.case_accept(complaint_id=c.pk, actor=cy)
    services.case_start_investigation(complaint_id=c.pk, actor=cy)
    services.case_draft_decision(
        complaint_id=c.pk, actor=cy, text="经核实，年费收取符合约定。", proposed_result="not_upheld",
        redress_amount="0", redress_type="none", root_cause="C0201",
    )  # fmt: skip
    services.case_submit_for_review(complaint_id=c.pk, actor=cy)
    services.case_review(complaint_id=c.pk, actor=people["approver"], approve=True)

    handler = session("cyhandler1")
    box = open_box(handler, c.pk, "respond")
    box.locator('select[name="respond-informed_via"]').select_option("phone")
    box.locator('[name="respond-informed_on"]').fill(today.isoformat())
    submit(handler, box)
    decision = c.decisions.get(review="approved")
    assert (decision.informed_via, decision.informed_on) == ("phone", today)

    ho = session("officer1")
    box = open_box(ho, c.pk, "request_verification")
    box.locator('[name="request_verification-requested_on"]').fill(today.isoformat())
    box.locator('select[name="request_verification-requested_via"]').select_option("letter")
    box.locator('[name="request_verification-reason"]').fill("客户来信不认可处理结果")
    submit(ho, box)
    v = c.verifications.get()
    assert (v.decision_received_on, v.requested_via, v.upper_org) == (today, "letter", org_tree.bj)

    manager = session("manager1")  # the upper level of the sub-branch; never handled the case
    box = open_box(manager, c.pk, "decide_verification")
    box.locator('select[name="decide_verification-outcome"]').select_option("upheld")
    box.locator('[name="decide_verification-comment"]').fill("经分行复核，维持原处理意见")
    submit(manager, box)
    v.refresh_from_db()
    assert (v.outcome, v.decided_by) == ("upheld", people["manager"])
    assert Complaint.objects.get(pk=c.pk).status == "closed"
    informed = manager.locator("#wf-clock .wf-informed").text_content()  # in the decision's folded details
    assert informed == f"客户收到处理决定：{today:%Y-%m-%d} · 电话"

    # 回避: the case names the branch handler; the manager's attempt to assign it to them is refused.
    named = new_case(org_tree.bj, people, days_ago=1, involved=[people["handler"]])
    services.case_route(complaint_id=named.pk, actor=people["ho"])
    services.case_accept(complaint_id=named.pk, actor=people["manager"])
    box = open_box(manager, named.pk, "assign")
    box.locator('select[name="assign-handler"]').select_option(str(people["handler"].pk))
    submit(manager, box, ok=False)
    assert "须回避" in manager.locator(".msg-error").inner_text()
    assert "须回避" in manager.locator('details.wf-action[data-action="assign"] .wf-error').inner_text()
    assert Complaint.objects.get(pk=named.pk).assigned_to_id is None
    refused = CaseTransition.objects.get(complaint=named, action="refused")
    assert refused.actor == people["manager"] and refused.data["target"] == "handler1"
    manager.goto(f"{manager.base_url}/workflow/case/{named.pk}/")
    assert "操作被拒绝" in "\n".join(manager.locator("#wf-timeline .wf-event").all_inner_texts())
    manager.screenshot(path=str(SHOTS / "audit-recusal-refused.png"), full_page=True)
