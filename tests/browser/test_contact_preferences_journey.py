"""Stored contact preferences (issue 14): on her case page a branch handler sees that 王芳 has no
preference recorded, follows 修改 to the customer page's 联系偏好, chooses 短信 · 晚间 and saves;
she is back on the case page, which now shows it, and the customer page says who changed it and
when. Desktop and a 390 px phone (no sideways overflow); CSP violations fail the test.
Screenshots in test-artifacts/contact-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest

from accounts import roles
from accounts.models import User
from complaints.models import Complaint, Customer
from complaints.services import CustomerInput, complaint_register
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def assigned(org_tree, make_user):
    agent = make_user(roles.AGENT, org_tree.ho, username="agent1")
    handler = make_user(roles.BRANCH_HANDLER, org_tree.bj_cy, username="cy_handler")
    User.objects.filter(pk=handler.pk).update(display_name="赵敏")
    case = complaint_register(
        actor=agent,
        channel="hotline",
        code_a="A0302",
        code_b="B030202",
        code_c="C03",
        summary="信用卡年费争议",
        customer=CustomerInput(name="王芳", title="ms", mobile="13955556666"),
        responsible_org=org_tree.bj_cy,
    )
    Complaint.objects.filter(pk=case.pk).update(assigned_to=handler, status="investigating")
    return case


@pytest.mark.parametrize("device", ["page", "phone_page"])
def test_the_handler_records_how_the_customer_wants_to_be_reached(request, assigned, device):
    pg = request.getfixturevalue(device)
    name = "desktop" if device == "page" else "phone"
    width = pg.viewport_size["width"]
    browser_login(pg, "cy_handler")
    case_url = f"{pg.base_url}/workflow/case/{assigned.pk}/"
    pg.goto(case_url)
    assert "未登记" in pg.inner_text("#case-contact")
    press = pg.locator("#case-contact-edit")
    press.tap() if name == "phone" else press.click()
    pg.wait_for_selector("#contact-form")
    assert pg.evaluate("document.documentElement.scrollWidth") <= width
    pg.select_option("#id_contact_channel", "sms")
    pg.select_option("#id_contact_time", "evening")
    pg.locator("#customer-contact").screenshot(path=str(SHOTS / f"contact-{name}-1-form.png"))
    save = pg.locator("#contact-save")
    with pg.expect_navigation():
        save.tap() if name == "phone" else save.click()
    assert pg.url.split("#")[0] == case_url  # back where she came from
    assert pg.inner_text("#case-contact").startswith("短信 · 晚间（18:00–20:00）")
    assert pg.evaluate("document.documentElement.scrollWidth") <= width
    pg.locator("#case-contact").scroll_into_view_if_needed()
    pg.screenshot(path=str(SHOTS / f"contact-{name}-2-case.png"), full_page=False)
    pg.goto(f"{pg.base_url}/complaints/customers/{assigned.customer_id}/")
    assert pg.inner_text("#contact-updated").startswith("赵敏 于 ")
    stored = Customer.objects.get(pk=assigned.customer_id)
    assert (stored.contact_channel, stored.contact_time) == ("sms", "evening")
