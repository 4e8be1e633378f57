"""Channel mix on the TOP page (issue 15): the share of complaints by channel (A axis, first level)
for the period and scope, against the same comparison period as the TOP table, and a shift
flag only where the change of share is statistically supported; small counts say so."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from analytics import channel_shift
from analytics.channel_shift import DOWN, SMALL, STEADY, UP, shifts
from analytics.periods import preset_period
from analytics.selectors import resolve_scope
from analytics.selectors.channels import channel_mix
from analytics.services import rollup_rebuild

from .conftest import make_case

# --- the test itself (pure) ---


def _even_days(count: int, total: int, days: int) -> list[tuple[int, int]]:
    """Days whose mix is exactly the period's: no extra-binomial variation."""
    return [(count // days, total // days)] * days


def test_a_clear_change_of_share_is_flagged_up_and_down():
    found = {s.key: s for s in shifts({"A03": 300, "A01": 100}, {"A03": 100, "A01": 300})}
    assert (found["A03"].status, found["A01"].status) == (UP, DOWN)
    assert (found["A03"].share, found["A03"].previous_share, found["A03"].delta_pp) == (75.0, 25.0, 50.0)
    assert found["A03"].q_value < 1e-6 and found["A03"].dispersion == 1.0


def test_the_same_mix_at_another_volume_is_steady():
    # the whole volume drops by half (a partial month, a holiday): the mix has not moved
    found = shifts({"A03": 150, "A01": 50}, {"A03": 300, "A01": 100})
    assert [s.status for s in found] == [STEADY, STEADY]
    assert all(s.delta_pp == 0.0 and s.p_value == pytest.approx(1.0) for s in found)


def test_small_counts_are_not_judged_and_say_so():
    # 20 cases against 10: every share "moved", nothing can be said
    found = {s.key: s for s in shifts({"A03": 18, "A01": 2}, {"A03": 2, "A01": 8})}
    assert {s.status for s in found.values()} == {SMALL}
    assert all(s.p_value is None and s.q_value is None for s in found.values())
    # enough cases overall, but a channel too rare for the approximation (expected count < 5)
    rare = {s.key: s for s in shifts({"A03": 200, "A01": 100, "A04": 3}, {"A03": 200, "A01": 100, "A04": 0})}
    assert rare["A04"].status == SMALL and rare["A03"].status != SMALL


def test_a_supported_but_tiny_change_is_not_a_shift():
    # 20,000 cases a period: 50.0 % -> 51.5 % is "significant" (p ~ 0.003) but below 2 share points
    found = {s.key: s for s in shifts({"A03": 10300, "A01": 9700}, {"A03": 10000, "A01": 10000})}
    assert found["A03"].p_value < 0.01 and found["A03"].delta_pp == 1.5
    assert found["A03"].status == STEADY


def test_a_daily_mix_that_swings_widens_the_test():
    """The same totals: with each day at the period's mix it is a shift; when the days swing
    between all-A03 and all-A01 (one outage-like burst), the variation seen in the days makes
    the same change unsupported."""
    current, previous = {"A03": 60, "A01": 40}, {"A03": 40, "A01": 60}
    calm = shifts(
        current,
        previous,
        {"A03": _even_days(60, 100, 10), "A01": _even_days(40, 100, 10)},
        {"A03": _even_days(40, 100, 10), "A01": _even_days(60, 100, 10)},
    )
    assert {s.key: s.status for s in calm} == {"A03": UP, "A01": DOWN}
    swing_cur = [(10, 10)] * 6 + [(0, 10)] * 4  # A03: whole days or nothing
    swing_prev = [(10, 10)] * 4 + [(0, 10)] * 6
    swinging = shifts(
        current,
        previous,
        {"A03": swing_cur, "A01": [(n - x, n) for x, n in swing_cur]},
        {"A03": swing_prev, "A01": [(n - x, n) for x, n in swing_prev]},
    )
    assert all(s.dispersion > 5 for s in swinging)
    assert {s.key: s.status for s in swinging} == {"A03": STEADY, "A01": STEADY}
    assert min(s.p_value for s in swinging) > max(s.p_value for s in calm)


def test_the_channels_of_one_panel_are_corrected_together():
    # each row's q is its BH-adjusted p over the channels judged: never below its p
    found = shifts({"A01": 120, "A02": 90, "A03": 150, "A04": 40}, {"A01": 100, "A02": 100, "A03": 100, "A04": 60})
    judged = [s for s in found if s.status != SMALL]
    assert len(judged) == 4
    assert all(s.q_value >= s.p_value for s in judged)
    assert channel_shift.FDR_Q == 0.05


# --- the selector and the page ---


@pytest.fixture
def channel_data(org_tree, today):
    """Month to date on 7 Dec: 1-5 Dec at BJ 6 electronic (A03) + 2 counter (A01) cases a day;
    1-5 Nov the other way round; SH a few counter cases in both; the rollup rebuilt."""
    for d in range(1, 6):
        for _ in range(6):
            make_case(org_tree.bj, date(2026, 12, d), a="A0303")
            make_case(org_tree.bj, date(2026, 11, d), a="A0101")
        for _ in range(2):
            make_case(org_tree.bj, date(2026, 12, d), a="A0101")
            make_case(org_tree.bj, date(2026, 11, d), a="A0303")
    make_case(org_tree.sh, date(2026, 12, 2), a="A0101")
    make_case(org_tree.sh, date(2026, 11, 2), a="A0201")
    make_case(org_tree.bj, date(2026, 11, 20), a="A0201")  # outside 1-7 Nov: not in the comparison
    rollup_rebuild()
    return today


@pytest.mark.django_db
def test_month_to_date_is_compared_like_for_like_and_the_shift_is_flagged(users, channel_data):
    period, compare = preset_period("mtd", channel_data)
    mix = channel_mix(resolve_scope(users["ho_officer"], ""), period, compare=compare)
    assert (mix.previous.start, mix.previous.end) == (date(2026, 11, 1), date(2026, 11, 7))
    assert (mix.total, mix.previous_total) == (41, 41)
    rows = {r.shift.key: r for r in mix.rows}
    assert set(rows) == {"A01", "A02", "A03"}
    assert (rows["A03"].shift.count, rows["A03"].shift.previous) == (30, 10)
    assert (rows["A01"].shift.count, rows["A01"].shift.previous) == (11, 30)
    assert rows["A03"].shift.status == UP and rows["A01"].shift.status == DOWN
    assert rows["A02"].shift.status == SMALL  # 0 against 1
    assert rows["A03"].name == "电子渠道" and not mix.too_few
    assert [r.shift.key for r in mix.shifted] == ["A03", "A01"]


@pytest.mark.django_db
def test_a_branch_sees_its_own_channels_only_and_a_small_branch_is_not_judged(users, channel_data):
    period, compare = preset_period("mtd", channel_data)
    bj = channel_mix(resolve_scope(users["bj_manager"], ""), period, compare=compare)
    assert (bj.total, bj.previous_total) == (40, 40)
    sh = channel_mix(resolve_scope(users["ho_officer"], "SH"), period, compare=compare)
    assert (sh.total, sh.previous_total) == (1, 1) and sh.too_few
    assert {r.shift.status for r in sh.rows} == {SMALL}


@pytest.mark.django_db
def test_the_top_page_shows_the_channel_panel(client, users, channel_data):
    client.force_login(users["ho_officer"])
    html = client.get(reverse("analytics:top"), {"preset": "mtd"}).content.decode()
    assert 'id="channel-panel"' in html and "渠道分布与变化" in html
    assert 'data-channel="A03" data-status="up"' in html and "占比上升" in html
    assert 'data-channel="A01" data-status="down"' in html and "占比下降" in html
    assert 'data-channel="A02" data-status="small"' in html and "样本不足" in html
    assert "上期占比" in html


@pytest.mark.django_db
def test_the_panel_in_english(client, users, channel_data):
    client.force_login(users["ho_officer"])
    client.cookies["django_language"] = "en"
    html = client.get(reverse("analytics:top"), {"preset": "yoy"}).content.decode()
    assert "Channel mix and shifts" in html and "Share a year before" in html
    # nothing was received from 1 to 7 Dec last year: the panel says it does not judge
    assert "Fewer than 30 cases in this or the comparison period" in html
