"""A branch handler on a 390 px phone (issue 14): from the assignment notification to a draft
submitted for review in at most four taps; after head office returns it, the redraft opens
with the last draft and the reviewer's comment above it, the root cause is chosen with the
picker, a reply template for the case's code is added to the text, and the customer's phone number is revealed (audit-logged) and offered as a tel: link.

A tap is a click on a link or button (each counted by ``tap``); typing into a field is not.
The same journey runs on a 1280 px desktop. Screenshots go to test-artifacts/handling-{phone,desktop}-*.png
(looked at by the session that wrote this test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from accounts import roles
from accounts.models import AuditEvent
from complaints.models import Complaint
from complaints.services import CustomerInput, customer_find_or_create
from tests.complaints.factories import ComplaintFactory, code
from tests.conftest import _watch_csp, browser_login
from workflow import services
from workflow.hooks import case_registered
from workflow.models import CaseTransition, Decision, ReplyTemplate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
MOBILE = "17012348369"


@pytest.fixture
def assigned(org_tree, make_user):
    """A case head office routed to BJ and the branch manager assigned to handler1 (who is notified)."""
    agent = make_user(roles.AGENT, org_tree.ho, username="agent1")
    officer = make_user(roles.HO_OFFICER, org_tree.ho, username="officer1")
    manager = make_user(roles.BRANCH_MANAGER, org_tree.bj, username="manager1")
    handler = make_user(roles.BRANCH_HANDLER, org_tree.bj, username="handler1")
    make_user(roles.HO_APPROVER, org_tree.ho, username="approver1")
    customer, _ = customer_find_or_create(data=CustomerInput(name="李娜", mobile=MOBILE))
    c = ComplaintFactory(responsible_org=org_tree.bj, created_by=agent, customer=customer, summary="信用卡年费争议")
    case_registered(c, actor=agent)
    services.case_route(complaint_id=c.pk, actor=officer)
    services.case_assign(complaint_id=c.pk, actor=manager, handler_id=handler.pk)
    return Complaint.objects.get(pk=c.pk)


@pytest.fixture(params=["phone", "desktop"])
def phone(request, browser, live_server, assigned):
    """The handler's browser: a 390 px touch phone, and a desktop (the same journey, clicks)."""
    if request.param == "phone":
        ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    else:
        ctx = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    pg = ctx.new_page()
    pg.set_default_timeout(15000)
    pg.base_url = live_server.url
    pg.device = request.param
    violations = _watch_csp(ctx, pg)
    browser_login(pg, "handler1")
    yield pg
    ctx.close()
    assert violations == [], "Content-Security-Policy violations in the browser console"


class Taps:
    def __init__(self, pg):
        self.pg, self.count = pg, 0

    def __call__(self, locator, *, navigates: bool = True) -> None:
        locator.scroll_into_view_if_needed()
        self.count += 1
        press = locator.tap if self.pg.device == "phone" else locator.click
        if navigates:
            with self.pg.expect_navigation():
                press()
        else:
            press()


def _no_sideways_scroll(pg) -> None:
    width, wanted = pg.evaluate("document.documentElement.scrollWidth"), pg.viewport_size["width"]
    assert width <= wanted, f"the page is {width}px wide in a {wanted}px window"


def _shot(pg, name: str) -> str:
    return str(SHOTS / f"handling-{pg.device}-{name}.png")


def test_notification_to_submitted_draft_in_four_taps(phone, assigned):
    pg, case = phone, assigned
    tap = Taps(pg)
    pg.goto(f"{pg.base_url}/accounts/notifications/")
    pg.screenshot(path=_shot(pg, "0-notification"), full_page=True)

    # 1. The notification opens the case page.
    tap(pg.locator(".notification-list a", has_text=case.reference))
    pg.wait_for_url(f"{pg.base_url}/workflow/case/{case.pk}/")
    _no_sideways_scroll(pg)
    first = pg.locator("details.wf-action").first
    assert first.get_attribute("data-action") == "accept_and_investigate"
    pg.locator("#wf-actions").screenshot(path=_shot(pg, "1-case"))

    # 2. 受理并开始调查: one tap, two logged steps.
    tap(first.locator("button[type=submit]"))
    assert "调查处理中" in pg.inner_text("#wf-clock")

    # 3. The draft form is the first, open form: type the decision and submit it.
    draft = pg.locator("details.wf-action").first
    assert draft.get_attribute("data-action") == "draft_decision" and draft.get_attribute("open") is not None
    draft.locator('[name="draft_decision-text"]').fill("经核实，年费系系统误收，予以退还 300 元。")
    draft.locator('[name="draft_decision-redress_type"]').select_option("refund")
    draft.locator('[name="draft_decision-redress_amount"]').fill("300")
    pg.locator("#wf-actions").screenshot(path=_shot(pg, "2-draft"))
    tap(draft.locator("button[type=submit]"))

    # 4. The next step is now the primary, first form: submit for review.
    nxt = pg.locator("details.wf-action").first
    assert nxt.get_attribute("data-action") == "submit_for_review" and nxt.get_attribute("open") is not None
    assert "primary" in nxt.locator("button[type=submit]").get_attribute("class")
    pg.locator("#wf-actions").screenshot(path=_shot(pg, "3-next-step"))
    tap(nxt.locator("button[type=submit]"))

    assert "总行审核中" in pg.inner_text("#wf-clock")
    assert tap.count <= 4, f"{tap.count} taps from the notification to a submitted draft"
    steps = list(CaseTransition.objects.filter(complaint=case).order_by("id").values_list("action", flat=True))
    assert steps[-4:] == ["accept", "start_investigation", "draft_decision", "submit_for_review"]
    pg.screenshot(path=_shot(pg, "4-submitted"), full_page=True)
    print(f"taps from notification to submitted draft: {tap.count}")


def test_returned_draft_reopens_filled_with_the_comment_and_the_handler_calls(phone, assigned):
    pg, case = phone, assigned
    handler = case.assigned_to
    approver = type(handler).objects.get(username="approver1")
    ReplyTemplate.objects.create(
        code=code("B0302"), title="年费争议标准答复", body="您好，关于您反映的年费问题，经核实……"
    )
    services.case_accept_and_investigate(complaint_id=case.pk, actor=handler)
    services.case_draft_decision(
        complaint_id=case.pk,
        actor=handler,
        text="经核实，年费系系统误收，予以退还 300 元。",
        proposed_result="upheld",
        redress_amount="300",
        redress_type="refund",
    )
    services.case_submit_for_review(complaint_id=case.pk, actor=handler)
    services.case_review(
        complaint_id=case.pk, actor=approver, approve=False, comment="请补充根因代码并说明退款到账时间"
    )
    tap = Taps(pg)

    pg.goto(f"{pg.base_url}/workflow/case/{case.pk}/")
    _no_sideways_scroll(pg)
    draft = pg.locator('details.wf-action[data-action="draft_decision"]')
    assert draft.get_attribute("open") is not None
    note = draft.locator("#wf-return-note")
    assert note.is_visible() and "请补充根因代码并说明退款到账时间" in note.inner_text()
    text = draft.locator('[name="draft_decision-text"]')
    assert text.input_value() == "经核实，年费系系统误收，予以退还 300 元。"
    assert draft.locator('[name="draft_decision-redress_type"]').input_value() == "refund"

    # A reply template for the case's code goes into the decision text with one tap (after what is there).
    chip = draft.locator("[data-reply-template]", has_text="年费争议标准答复")
    tap(chip, navigates=False)
    assert text.input_value() == "经核实，年费系系统误收，予以退还 300 元。\n\n您好，关于您反映的年费问题，经核实……"

    # The root cause by picker: words in, a leaf code out (non-leaf codes are never offered).
    root = draft.locator('[name="draft_decision-root_cause"]')
    root.fill("差错")
    option = draft.locator('.picker-list li[data-code="C0202"]')
    option.wait_for()
    assert draft.locator('.picker-list li[data-code="C02"]').count() == 0
    draft.scroll_into_view_if_needed()
    pg.screenshot(path=_shot(pg, "5-returned-draft"), full_page=False)
    tap(option, navigates=False)
    assert root.input_value() == "C0202"
    text.fill(text.input_value() + "退款将于 3 个工作日内到账。")
    tap(draft.locator("button[type=submit]"))
    d = Decision.objects.filter(complaint=case).order_by("-version").first()
    assert d.version == 2 and d.root_cause_code.code == "C0202" and "3 个工作日" in d.text

    # Calling the customer: the number is masked until revealed (logged with the case), then a tel: link.
    assert MOBILE not in pg.content()
    tap(pg.get_by_role("button", name="查看手机号以致电客户（将记录审计）"), navigates=False)
    call = pg.locator("#customer-tel")
    call.wait_for()
    assert call.get_attribute("href") == f"tel:{MOBILE}"
    event = AuditEvent.objects.get(action="customer.unmask", actor=handler)
    assert event.detail["case_reference"] == case.reference
    _no_sideways_scroll(pg)
    pg.locator("#reveal-slot").scroll_into_view_if_needed()
    pg.screenshot(path=_shot(pg, "6-call"), full_page=False)
