"""A person logs in, sees a role-appropriate home, switches to English — on a phone too."""

from __future__ import annotations

from pathlib import Path

import pytest

from accounts import roles
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_login_home_and_language_switch(page, org_tree, make_user):
    make_user(roles.AUDITOR, org_tree.ho, username="audrey")
    page.goto(f"{page.base_url}/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    browser_login(page, "audrey")
    assert page.locator('a[data-key="audit"]').is_visible()
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator('a[data-key="audit"] strong').inner_text() == "Audit log"


def test_phone_width_home_has_no_horizontal_scroll(phone_page, org_tree, make_user):
    make_user(roles.BRANCH_HANDLER, org_tree.bj_cy, username="handy")
    browser_login(phone_page, "handy")
    SHOTS.mkdir(exist_ok=True)
    phone_page.screenshot(path=str(SHOTS / "home-phone.png"), full_page=True)
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    assert "朝阳支行" in phone_page.content()
