"""The TOP page walked through each period preset on a pinned day (2026-12-07): each says what
it covers, whether it is still running and what it is compared with (issue 11)."""

from __future__ import annotations

from datetime import date

import pytest

from accounts import roles
from analytics.services import rollup_rebuild
from tests.analytics.conftest import make_case
from tests.conftest import PINNED_TODAY, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# preset: (button label, period, compared-with name, compared-with range, running?)
WALK = [
    ("mtd", "本月至今", "2026-12-01 ~ 2026-12-07", "上期同期", "2026-11-01 ~ 2026-11-07", True),
    ("last_month", "上月", "2026-11-01 ~ 2026-11-30", "上期", "2026-10-01 ~ 2026-10-31", False),
    ("qtd", "本季度至今", "2026-10-01 ~ 2026-12-07", "上期同期", "2026-07-01 ~ 2026-09-06", True),
    ("last_quarter", "上季度", "2026-07-01 ~ 2026-09-30", "上期", "2026-04-01 ~ 2026-06-30", False),
    ("last30", "近30天", "2026-11-08 ~ 2026-12-07", "上期", "2026-10-09 ~ 2026-11-07", True),
    ("yoy", "同比", "2026-12-01 ~ 2026-12-07", "去年同期", "2025-12-01 ~ 2025-12-07", True),
]


@pytest.fixture
def pinned_data(pin_clock, org_tree, make_user):
    pin_clock(PINNED_TODAY)
    for day in (date(2026, 12, 3), date(2026, 12, 5), date(2026, 11, 4), date(2026, 11, 20), date(2025, 12, 2)):
        make_case(org_tree.bj, day)
    make_case(org_tree.bj, date(2026, 8, 10), b="B0101", c="C0101")
    rollup_rebuild()
    make_user(roles.HO_OFFICER, org_tree.ho, username="hana")


def test_top_page_walks_through_each_preset_with_its_labels(page, pinned_data):
    browser_login(page, "hana")
    page.goto(f"{page.base_url}/analytics/?level=3")
    # the default view is the last 30 days and says that today is still running
    assert page.locator('[data-testid="preset-label"]').inner_text() == "近30天"
    assert page.locator("[data-to-date]").inner_text() == "含今日（今日尚未结束）"
    counts = {}
    for preset, label, period, compare_name, previous, running in WALK:
        page.click(f'#period-presets a[data-preset="{preset}"]')
        page.wait_for_url(f"**preset={preset}**")
        assert page.locator(f'#period-presets a[data-preset="{preset}"]').inner_text() == label
        assert page.locator(f'#period-presets a[data-preset="{preset}"]').get_attribute("aria-current") == "true"
        assert page.locator('[data-testid="preset-label"]').inner_text() == label
        assert page.locator('[data-testid="period-range"]').inner_text() == period
        assert page.locator('[data-testid="compare-name"]').inner_text() == compare_name
        assert page.locator('[data-testid="previous-range"]').inner_text() == previous
        assert page.locator("[data-to-date]").count() == (1 if running else 0)
        assert (page.locator('[data-testid="compare-label"]').count() == 1) == (preset == "yoy")
        assert page.locator("select[name=level] option:checked").inner_text() == "末级"  # the view is kept
        counts[preset] = page.locator('[data-testid="total"]').inner_text()
    assert counts == {"mtd": "2", "last_month": "2", "qtd": "4", "last_quarter": "1", "last30": "3", "yoy": "2"}
    # 同比 compares 1-7 Dec with 1-7 Dec last year: one case then
    page.click('#period-presets a[data-preset="yoy"]')
    assert "去年同期（2025-12-01 ~ 2025-12-07） 1" in page.locator(".card").first.inner_text()


def test_presets_in_english(page, pinned_data):
    browser_login(page, "hana")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": page.base_url}])
    page.goto(f"{page.base_url}/analytics/?preset=qtd")
    labels = page.locator("#period-presets a").all_inner_texts()
    assert labels == ["Month to date", "Last month", "Quarter to date", "Last quarter", "Last 30 days", "Year on year"]
    assert "Same span of the previous period" in page.locator('[data-testid="compare-name"]').inner_text()
