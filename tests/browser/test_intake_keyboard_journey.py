"""Intake from the keyboard alone, on a desktop and on a 390 px phone (issue 14, "Done when").

An agent takes 李女士's call (four earlier complaints): types her number, Tabs on (her panel and
earlier cases appear, title prefilled), Tabs to each code field and picks by words with Enter,
Tabs to the summary and details, sends with Ctrl+Enter. The intake part of the test presses keys
only: no click, no fill, no check (the sign-in before it is not part of the journey). At 390 px
nothing overflows sideways at any step. Screenshots: test-artifacts/intake-keys-*.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from accounts import roles
from complaints.models import Complaint
from complaints.services import CustomerInput, complaint_register
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"
MOBILE = "13812345678"


def _tab_to(pg, element_id: str, *, most: int = 40) -> int:
    """Press Tab until ``element_id`` has the focus; how many presses it took (fails after ``most``)."""
    for presses in range(1, most + 1):
        pg.keyboard.press("Tab")
        if pg.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return presses
    raise AssertionError(f"Tab never reached #{element_id} (at {pg.evaluate('document.activeElement.id')!r})")


def _fits(pg) -> None:
    width = pg.viewport_size["width"]
    assert pg.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("device", ["page", "phone_page"])
def test_a_returning_customers_complaint_from_the_keyboard_alone(request, org_tree, make_user, device):
    pg = request.getfixturevalue(device)
    name = "desktop" if device == "page" else "phone"
    agent = make_user(roles.AGENT, org_tree.ho, username="agent_kb")
    li = CustomerInput(name="李娜", title="ms", mobile=MOBILE)
    earlier = [
        complaint_register(
            actor=agent, channel="hotline", code_a="A0302", code_b=b, code_c="C03", summary="旧投诉", customer=li
        )
        for b in ("B030203", "B0101", "B030203", "B0101")
    ]
    browser_login(pg, "agent_kb")
    pg.goto(f"{pg.base_url}/complaints/intake/")
    pg.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")
    assert pg.evaluate("document.activeElement.id") == "id_mobile"  # the number first, no click
    _fits(pg)

    pg.keyboard.type("138 1234 5678")
    pg.keyboard.press("Tab")
    pg.wait_for_selector("[data-customer-found]")
    panel = pg.inner_text("#customer-panel")
    assert "李女士" in panel and all(c.reference in panel for c in earlier)
    assert pg.is_checked("input[name=customer_title][value=ms]")  # prefilled from the file
    _fits(pg)
    SHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SHOTS / f"intake-keys-{name}-1-customer.png"), full_page=True)

    for field, typed, code in (("code_a", "A0302", "A0302"), ("code_b", "年费", "B030202"), ("code_c", "C03", "C03")):
        _tab_to(pg, f"id_{field}")
        pg.keyboard.type(typed)
        pg.wait_for_selector(f'#list-{field} li[data-code="{code}"][aria-selected=true]')
        if field == "code_b":
            _fits(pg)  # the open list of codes stays inside the screen
            pg.screenshot(path=str(SHOTS / f"intake-keys-{name}-2-codes.png"), full_page=False)
        pg.keyboard.press("Enter")
        assert pg.input_value(f"#id_{field}") == code
    _tab_to(pg, "id_summary")
    pg.keyboard.type("信用卡年费再次被扣")
    _tab_to(pg, "id_details", most=3)
    pg.keyboard.type("客户称年费又被扣，要求退还")
    _fits(pg)
    pg.keyboard.press("Control+Enter")
    pg.wait_for_selector("#case-reference")
    _fits(pg)
    pg.screenshot(path=str(SHOTS / f"intake-keys-{name}-3-case.png"), full_page=False)

    case = Complaint.objects.exclude(pk__in=[c.pk for c in earlier]).get()
    assert pg.inner_text("#case-reference") == case.reference
    assert case.customer_id == earlier[0].customer_id
    assert (case.code_a.code, case.code_b.code, case.code_c.code) == ("A0302", "B030202", "C03")
    assert case.summary == "信用卡年费再次被扣"
