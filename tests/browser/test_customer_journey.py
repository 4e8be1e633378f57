"""Customer 360 (issue 14): a branch handler opens 张先生's page from the case list's customer name
and from the case page's customer panel, sees his cases of her sub-branch only (the head-office-
routed Shanghai case stays unnamed), the repeat pattern, a call she may hear de-identified, and
reveals the phone number through the case's audited reveal to call him. Desktop and a 390 px phone
(no horizontal overflow); the inbox tile's count opens the list with the same count. CSP violations
fail the test. Screenshots in test-artifacts/customer-*.png."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts import roles
from accounts.models import AuditEvent
from complaints.models import Complaint
from complaints.services import CustomerInput, complaint_register
from tests.conftest import browser_login
from tests.recordings.conftest import make_recording

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"
MOBILE = "13912345678"


@pytest.fixture
def customer_cases(org_tree, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    agent = make_user(roles.AGENT, org_tree.ho, username="agent1")
    handler = make_user(roles.BRANCH_HANDLER, org_tree.bj_cy, username="cy_handler")
    now = timezone.now()

    def reg(org, code_b, days):
        return complaint_register(
            actor=agent,
            channel="hotline",
            code_a="A0302",
            code_b=code_b,
            code_c="C03",
            summary=f"信用卡年费争议（{org.name_zh}）",
            customer=CustomerInput(name="张伟", title="mr", mobile=MOBILE),
            responsible_org=org,
            received_at=now - timedelta(days=days),
        )

    mine = [reg(org_tree.bj_cy, "B030202", 60), reg(org_tree.bj_cy, "B030202", 2)]
    other = reg(org_tree.sh, "B0101", 20)
    Complaint.objects.filter(pk=mine[1].pk).update(assigned_to=handler, status="investigating")
    make_recording(mine[0], tag="journey")
    return handler, mine, other


@pytest.mark.parametrize("device", ["page", "phone_page"])
def test_the_handler_opens_the_customer_page_and_calls_him(request, customer_cases, device):
    handler, mine, other = customer_cases
    pg = request.getfixturevalue(device)
    name = "desktop" if device == "page" else "phone"
    width = pg.viewport_size["width"]
    browser_login(pg, "cy_handler")
    SHOTS.mkdir(exist_ok=True)

    # from the case list: the customer's name
    pg.goto(f"{pg.base_url}/complaints/")
    pg.locator("[data-customer-link]").first.click()
    pg.wait_for_selector("#customer-cases")
    cases = pg.inner_text("#customer-cases")
    assert all(c.reference in cases for c in mine) and other.reference not in pg.content()
    assert pg.inner_text("#count-total") == "2"
    assert "B030202" in pg.inner_text("#repeated-codes")  # twice in 12 months
    assert "脱敏录音" in pg.inner_text("#customer-recordings")
    assert MOBILE not in pg.content() and "139****5678" in pg.inner_text("#customer-mobile")
    assert pg.evaluate("document.documentElement.scrollWidth") <= width
    pg.screenshot(path=str(SHOTS / f"customer-{name}-1-page.png"), full_page=True)

    # the audited reveal, from the case assigned to her (htmx), then a tel: link
    pg.locator("#reveal-slot button").click()
    tel = pg.locator("#customer-tel")
    tel.wait_for()
    assert tel.get_attribute("href") == f"tel:{MOBILE}"
    event = AuditEvent.objects.get(action="customer.unmask", actor=handler)
    assert event.detail["case_reference"] == mine[1].reference
    assert pg.evaluate("document.documentElement.scrollWidth") <= width
    pg.screenshot(path=str(SHOTS / f"customer-{name}-2-revealed.png"), full_page=False)

    # from the case page's customer panel
    pg.goto(f"{pg.base_url}/workflow/case/{mine[0].pk}/")
    pg.locator("#customer-link").click()
    pg.wait_for_selector("#customer-cases")
    assert pg.url.endswith(f"/complaints/customers/{mine[0].customer_id}/")


def test_an_inbox_tiles_count_opens_the_list_with_that_count(page, customer_cases):
    handler, mine, _other = customer_cases
    browser_login(page, "cy_handler")
    page.goto(f"{page.base_url}/workflow/inbox/")
    tile = page.locator('[data-counter="total"] a.wf-count')
    n = tile.inner_text().strip()
    assert n == "2"
    page.screenshot(path=str(SHOTS / "customer-desktop-3-inbox-tiles.png"), full_page=False)
    tile.click()
    page.wait_for_url("**/complaints/?bucket=worklist")
    page.wait_for_function("() => /共 \\d+ 条/.test(document.getElementById('result-count').innerText)")
    assert f"共 {n} 条" in page.inner_text("#result-count")
    page.screenshot(path=str(SHOTS / "customer-desktop-4-tile-list.png"), full_page=False)
