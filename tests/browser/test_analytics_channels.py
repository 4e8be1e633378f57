"""The TOP page's channel panel on the demo data (issue 15, "channel in analytics"): the share of
complaints by channel for the period and its comparison period, each channel's verdict, and the
rule it was judged by, in Chinese and in English. The demo's quick data set is small: the
month to date says its counts are too small to judge, the last quarter judges its large channels."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.demo import DEMO_PASSWORD
from tests.conftest import PINNED_TODAY, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VERDICTS_ZH = {"占比上升", "占比下降", "无显著变化", "样本不足"}


@pytest.fixture
def demo_site(pin_clock):
    pin_clock(PINNED_TODAY)
    call_command("seed_demo", "--quick", verbosity=0)


def _rows(page) -> dict[str, tuple[str, str]]:
    """channel code -> (status attribute, verdict text) of the panel's table."""
    out = {}
    for row in page.locator("#channel-table tbody tr").all():
        verdict = row.locator('[data-testid="channel-verdict"]').inner_text().split(" q=")[0]
        out[row.get_attribute("data-channel")] = (row.get_attribute("data-status"), verdict.lstrip("↑↓ "))
    return out


def test_channel_panel_on_the_demo_data(page, demo_site):
    browser_login(page, "ho_officer", DEMO_PASSWORD)
    page.goto(f"{page.base_url}/analytics/?preset=last_quarter")
    panel = page.locator("#channel-panel")
    assert panel.locator("h2").inner_text() == "渠道分布与变化"
    headers = panel.locator("thead th").all_inner_texts()
    assert headers == ["渠道", "件数", "占比", "上期占比", "占比变化（百分点）", "判断"]
    rows = _rows(page)
    assert {"A01", "A03"} <= set(rows)
    labels = {"up": "占比上升", "down": "占比下降", "steady": "无显著变化", "small": "样本不足"}
    assert all(verdict == labels[status] for status, verdict in rows.values())
    assert rows["A03"][0] != "small" and rows["A01"][0] != "small"  # the quarter's large channels are judged
    assert "电子渠道" in panel.locator('tr[data-channel="A03"]').inner_text()
    assert "FDR 0.05" in panel.inner_text() and "2.0 个百分点" in panel.inner_text()

    page.goto(f"{page.base_url}/analytics/?preset=mtd")  # a week of the small demo: nothing judged
    rows = _rows(page)
    assert rows and {status for status, _ in rows.values()} == {"small"}
    assert (
        page.locator('[data-testid="channel-too-few"]').inner_text() == "本期或对比期投诉少于 30 件，不判断渠道变化。"
    )


def test_channel_panel_in_english(page, demo_site):
    browser_login(page, "ho_officer", DEMO_PASSWORD)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": page.base_url}])
    page.goto(f"{page.base_url}/analytics/?preset=yoy")
    panel = page.locator("#channel-panel")
    assert panel.locator("h2").inner_text() == "Channel mix and shifts"
    headers = panel.locator("thead th").all_inner_texts()
    assert headers == ["Channel", "Count", "Share", "Share a year before", "Change (share points)", "Verdict"]
    assert "Too few cases" in panel.inner_text()
