"""An agent logs a credit-card fee complaint for a returning customer on the real page."""

from __future__ import annotations

from pathlib import Path

import pytest

from accounts import roles
from complaints.models import ClassificationCode, Complaint, Customer
from complaints.services import CustomerInput, complaint_register
from tests.browser.steps import pick_code as _pick
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"
MOBILE = "13812345678"


def test_agent_logs_fee_complaint_for_returning_customer(page, browser, live_server, org_tree, make_user):
    agent = make_user(roles.AGENT, org_tree.ho, username="agent_w")
    make_user(roles.BRANCH_MANAGER, org_tree.sh, username="sh_boss")
    earlier = complaint_register(
        actor=agent,
        channel="hotline",
        code_a="A0302",
        code_b="B030202",
        code_c="C03",
        summary="上月年费争议",
        customer=CustomerInput(name="张伟", title="mr", mobile=MOBILE, home_org=org_tree.bj_cy),
    )

    browser_login(page, "agent_w")
    page.click('a[data-key="intake"]')
    page.wait_for_selector("#intake-form")
    # htmx is loaded with `defer`; on a loaded CI machine it can lag the first keystrokes.
    page.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")
    # The mobile field has focus: the agent types the caller's number.
    page.keyboard.type("138 1234 5678")
    page.keyboard.press("Tab")
    page.wait_for_selector("[data-customer-found]")
    panel = page.inner_text("#customer-panel")
    assert "张先生" in panel and "138****5678" in panel and earlier.reference in panel
    assert MOBILE not in page.content()

    page.fill("#id_customer_name", "张伟")
    page.check("input[name=customer_title][value=mr]")
    _pick(page, "code_a", "A0302", "A0302")
    # Words find the code: 年费 → B030202, chosen with the keyboard.
    page.fill("#id_code_b", "年费")
    page.wait_for_selector('#list-code_b li[data-code="B030202"]')
    first = page.get_attribute("#list-code_b li[aria-selected=true]", "data-code")
    assert first == "B030202"
    page.press("#id_code_b", "Enter")
    assert page.input_value("#id_code_b") == "B030202"
    page.wait_for_selector("#repeat-warning")
    warning = page.locator("#repeat-warning")
    assert earlier.reference in warning.inner_text()
    assert warning.locator("a").get_attribute("href").endswith(f"/workflow/case/{earlier.pk}/")  # the one case page
    _pick(page, "code_c", "C03", "C03")
    page.fill("#id_summary", "信用卡年费再次被扣")
    page.fill("#id_details", "客户称卡号6222021234567890又被扣年费")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "intake-form.png"), full_page=True)
    page.click("#submit-intake")
    page.wait_for_selector("#case-reference")

    case = Complaint.objects.exclude(pk=earlier.pk).get()
    assert page.inner_text("#case-reference") == case.reference
    assert case.repeat_of_id == earlier.pk and case.is_repeat
    assert case.responsible_org == org_tree.bj_cy
    assert "朝阳支行" in page.inner_text("#responsible-org")
    assert earlier.reference in page.inner_text("#repeat-of")
    assert "6222021234567890" not in page.content() and "622202******7890" in page.content()
    page.screenshot(path=str(SHOTS / "intake-case.png"), full_page=True)

    other = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    sh_page = other.new_page()
    sh_page.base_url = live_server.url
    browser_login(sh_page, "sh_boss")
    response = sh_page.goto(f"{live_server.url}/complaints/{case.reference}/")  # the old address
    assert response.status == 404
    assert sh_page.goto(f"{live_server.url}/workflow/case/{case.pk}/").status == 404
    other.close()


def test_intake_page_fits_a_phone(phone_page, org_tree, make_user):
    make_user(roles.BRANCH_HANDLER, org_tree.bj_cy, username="handy")
    browser_login(phone_page, "handy")
    phone_page.goto(f"{phone_page.base_url}/complaints/intake/")
    SHOTS.mkdir(exist_ok=True)
    phone_page.screenshot(path=str(SHOTS / "intake-phone.png"), full_page=True)
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390


def test_returning_customer_keyboard_only_with_an_error_on_the_way(page, org_tree, make_user):
    """Issue 14: 李女士 (four earlier complaints) is recognised and prefilled; a submit with the
    summary missing comes back with her panel, earlier cases and the codes' names (rendered by
    the server); the corrected form registers the case for the same customer. No clicks."""
    agent = make_user(roles.AGENT, org_tree.ho, username="agent_k")
    li = CustomerInput(name="李娜", title="ms", mobile=MOBILE)
    earlier = [
        complaint_register(
            actor=agent, channel="hotline", code_a="A0302", code_b=b, code_c="C03", summary="旧投诉", customer=li
        )
        for b in ("B030203", "B0101", "B030203", "B0101")
    ]
    browser_login(page, "agent_k")
    page.goto(f"{page.base_url}/complaints/intake/")
    page.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")
    page.keyboard.type("138 1234 5678")
    page.keyboard.press("Tab")
    page.wait_for_selector("[data-customer-found]")
    page.wait_for_selector("#name-hint")
    assert page.is_checked("input[name=customer_title][value=ms]")
    assert "李女士" in page.get_attribute("#id_customer_name", "placeholder")
    assert page.input_value("#id_customer_name") == ""  # editable, left blank: the name on file is kept
    for field, typed, code in (("code_a", "A0302", "A0302"), ("code_b", "年费", "B030202"), ("code_c", "C03", "C03")):
        page.fill(f"#id_{field}", typed)
        page.wait_for_selector(f'#list-{field} li[data-code="{code}"][aria-selected=true]')
        page.press(f"#id_{field}", "Enter")
    page.fill("#id_details", "年费又被扣")
    page.press("#id_details", "Control+Enter")  # summary left out
    page.wait_for_selector("#err-summary")
    panel = page.inner_text("#customer-panel")
    assert "李女士" in panel and all(c.reference in panel for c in earlier)
    for field, code in (("code_a", "A0302"), ("code_b", "B030202"), ("code_c", "C03")):
        assert page.inner_text(f"#name-{field}") == ClassificationCode.objects.get(code=code).name_zh
    assert page.input_value("#id_code_b") == "B030202" and page.input_value("#id_details") == "年费又被扣"
    assert page.is_checked("input[name=customer_title][value=ms]")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "intake-returning-error.png"), full_page=True)
    page.fill("#id_summary", "信用卡年费再次被扣")
    page.press("#id_summary", "Control+Enter")
    page.wait_for_selector("#case-reference")
    case = Complaint.objects.exclude(pk__in=[c.pk for c in earlier]).get()
    assert case.customer_id == earlier[0].customer_id
    assert Customer.objects.count() == 1


def test_what_the_agent_types_while_the_lookup_is_on_its_way_is_kept(page, org_tree, make_user):
    """The number lookup's answer replaces the name and title fields (prefill); a name typed and a
    title chosen after the request left must survive it (found by the production journey: a new
    customer's name typed right after Tab was wiped, and the submit failed for want of a name)."""
    make_user(roles.AGENT, org_tree.ho, username="agent_q")
    held = []
    browser_login(page, "agent_q")

    def hold(route):  # the lookup's answer waits until the agent has typed
        held.append(route)

    page.route("**/complaints/intake/customer/", hold)
    page.goto(f"{page.base_url}/complaints/intake/")
    page.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")
    page.keyboard.type("139 0011 2233")
    page.keyboard.press("Tab")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the lookup request was not sent"
    page.fill("#id_customer_name", "周敏")
    page.check("input[name=customer_title][value=ms]")
    held[0].continue_()
    page.wait_for_function("() => document.getElementById('customer-panel').innerText.includes('新客户')")
    page.wait_for_timeout(300)  # let the swap settle
    assert page.input_value("#id_customer_name") == "周敏"
    assert page.is_checked("input[name=customer_title][value=ms]")
