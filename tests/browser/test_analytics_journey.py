"""Analytics journeys: head office finds the SZ credit-card fee spike on the TOP page,
drills down, opens a remediation item and exports the cases; a branch manager sees only
their branch. On a phone the TOP page and its chart fit 390 px."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts import roles
from accounts.models import Organisation
from analytics.models import ImprovementItem
from analytics.services import rollup_rebuild
from tests.accounts.factories import OrganisationFactory
from tests.analytics.conftest import make_case
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def demo_like(org_tree, make_user):
    """Demo-like shape: steady B030202 at SZ and BJ for 8 months of 30-day windows, then a
    tripled last 30 days at SZ only; other codes around; the rollup rebuilt."""
    sz = OrganisationFactory(code="SZ", name_zh="深圳分行", kind=Organisation.Kind.BRANCH, parent=org_tree.ho)
    today = timezone.localdate()
    for window in range(0, 9):
        end = today - timedelta(days=30 * window)
        spike = window == 0
        for i in range(15 if spike else 5):
            make_case(sz, end - timedelta(days=(i * 2) % 30))
        for i in range(5):
            make_case(org_tree.bj, end - timedelta(days=(i * 3) % 30))
            make_case(org_tree.bj, end - timedelta(days=(i * 5) % 30), b="B0101", c="C0101")
            make_case(sz, end - timedelta(days=(i * 5) % 30), b="B0401", c="C0201")
    rollup_rebuild()
    make_user(roles.HO_OFFICER, org_tree.ho, username="hana")
    make_user(roles.BRANCH_MANAGER, org_tree.bj, username="bjmgr")
    return sz


def test_head_office_finds_the_spike_drills_down_remediates_and_exports(page, demo_like):
    SHOTS.mkdir(exist_ok=True)
    browser_login(page, "hana")
    page.click('a[data-key="analytics_top"]')
    page.select_option("select[name=level]", "3")
    page.click("#report-filters button[type=submit]")
    panel = page.locator("#rising-panel")
    assert "B030202" in panel.inner_text() and "深圳分行" in panel.inner_text()
    row = page.locator('#top-table tr[data-key="B030202"]')
    assert "↑ SZ" in row.inner_text()
    page.screenshot(path=str(SHOTS / "analytics-top.png"), full_page=True)

    panel.locator("li", has_text="深圳分行").filter(has_text="B030202").locator("a").first.click()
    assert page.locator('[data-testid="case-count"]').inner_text() == "15"
    assert "深圳分行" in page.locator("select[name=org] option:checked").inner_text()

    with page.expect_download() as download_info:
        page.click("#export-csv")
    rows = list(csv.DictReader(io.StringIO(Path(download_info.value.path()).read_text(encoding="utf-8-sig"))))
    assert len(rows) == 15 and {r["分行"] for r in rows} == {"SZ"} and {r["业务代码"] for r in rows} == {"B030202"}

    page.click("text=发起整改")
    assert page.locator('[data-testid="link-count"]').inner_text() == "15"
    page.fill("textarea[name=description]", "年费收取前增加激活校验")
    page.click("main form button[type=submit]")
    assert page.locator('[data-testid="status"]').inner_text() == "待整改"
    item = ImprovementItem.objects.get()
    assert item.owner_org.code == "SZ" and item.codes == ["B030202"] and item.cases.count() == 15
    page.goto(f"{page.base_url}/analytics/improvements/")
    assert item.title in page.locator('[data-status="open"]').inner_text()


def test_branch_manager_sees_only_their_branch(page, demo_like):
    browser_login(page, "bjmgr")
    page.goto(f"{page.base_url}/analytics/?level=3")
    table = page.locator("#top-table").inner_text()
    assert "B030202" in table and "B0101" in table and "B0401" not in table
    assert page.locator("#rising-panel").count() == 0
    assert page.locator('select[name=org] option[value="SZ"]').count() == 0
    response = page.goto(f"{page.base_url}/analytics/?org=SZ")
    assert response.status == 404


def test_top_page_fits_a_phone(phone_page, demo_like):
    browser_login(phone_page, "hana")
    phone_page.goto(f"{phone_page.base_url}/analytics/?level=3")
    phone_page.wait_for_function("document.querySelector('#top-chart').width > 0")
    SHOTS.mkdir(exist_ok=True)
    phone_page.screenshot(path=str(SHOTS / "analytics-top-phone.png"), full_page=True)
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone_page.evaluate("document.querySelector('#top-chart').getBoundingClientRect().width") <= 390
