"""Pages still work under the Content-Security-Policy (the page fixtures fail a test on any
violation in the console): the trends chart and heat map, notifications, the API docs, the
admin. A person who mistypes a password five times sees why they cannot sign in."""

from __future__ import annotations

from pathlib import Path

import pytest

from accounts import roles
from analytics.services import rollup_rebuild
from tests.analytics.conftest import make_case
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_pages_with_charts_docs_and_admin_work_under_the_policy(page, org_tree, make_user):
    from django.utils import timezone

    for i in range(6):
        make_case(org_tree.bj if i % 2 else org_tree.sh, timezone.localdate())
    rollup_rebuild()
    officer = make_user(roles.HO_OFFICER, org_tree.ho, username="hana")
    officer.is_staff = officer.is_superuser = True
    officer.save()
    browser_login(page, "hana")

    page.goto(f"{page.base_url}/analytics/trends/?by=org")
    page.wait_for_function("window.Chart && Chart.getChart('trend-chart') !== undefined")
    cell = page.locator("#heat-table td[class^=heat-]").first
    assert cell.evaluate("td => getComputedStyle(td).backgroundColor") != "rgba(0, 0, 0, 0)"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "csp-trends.png"), full_page=True)

    page.goto(f"{page.base_url}/analytics/")
    page.wait_for_function("Chart.getChart('top-chart') !== undefined")

    page.goto(f"{page.base_url}/accounts/notifications/")
    assert page.locator("ul.notification-list").evaluate("ul => getComputedStyle(ul).listStyleType") == "none"

    page.goto(f"{page.base_url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "客户之声" in page.locator(".swagger-ui .info .title").inner_text()
    page.screenshot(path=str(SHOTS / "csp-api-docs.png"))

    page.goto(f"{page.base_url}/admin/accounts/user/")
    page.wait_for_selector("#result_list")
    page.goto(f"{page.base_url}/no-such-page/")
    assert page.locator("h1").inner_text() == "页面不存在"


def test_five_wrong_passwords_lock_the_login_with_a_message(page, org_tree, make_user):
    make_user(roles.HO_OFFICER, org_tree.ho, username="hana")
    page.goto(f"{page.base_url}/login/")
    for _ in range(5):
        page.fill("#id_username", "hana")
        page.fill("#id_password", "not-my-password")
        page.click("button[type=submit]")
    page.fill("#id_password", "pw-test-123")
    page.click("button[type=submit]")
    alert = page.locator("[role=alert]").inner_text()
    assert "登录失败次数过多" in alert and "15 分钟后再试" in alert
    assert page.url.endswith("/login/")
    page.screenshot(path=str(SHOTS / "login-locked.png"))
