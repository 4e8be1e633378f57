"""Call QA journey (issue 16): a branch complaint manager opens the QA queue, opens the
lowest-scoring call, plays it from the flagged second, overturns the hit with a reason, and the
agent's weekly scorecard changes. Screenshots: test-artifacts/callqa-{1-queue,2-call,3-overturned,
4-scorecard}.png."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import pytest

from accounts import roles
from callqa import services
from callqa.models import CallScore
from recordings.models import ListeningEvent
from tests.callqa.conftest import BAD_CALL, GOOD_CALL, ensure_default_rules, make_call_row
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _wait_for(predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def test_reviewer_plays_a_flagged_second_overturns_and_the_scorecard_moves(
    browser, live_server, org_tree, make_user, settings, tmp_path, pin_clock
):
    pin_clock(dt.date(2026, 12, 3))
    settings.MEDIA_ROOT = tmp_path / "media"
    ensure_default_rules()
    agent = make_user(roles.BRANCH_HANDLER, org_tree.bj, username="agent_bj")
    reviewer = make_user(roles.BRANCH_MANAGER, org_tree.bj, username="bj_mgr")
    bad = make_call_row(org_tree.bj, BAD_CALL, agent=agent, audio_s=26)
    good = make_call_row(org_tree.bj, GOOD_CALL, agent=agent, audio_s=31)
    for rec in (bad, good):
        services.recording_score(recording_id=rec.pk)
    hit = CallScore.objects.get(recording=bad).hits.get(rule_key="promise_returns")
    SHOTS.mkdir(exist_ok=True)

    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    pg = ctx.new_page()
    pg.set_default_timeout(20000)
    pg.base_url = live_server.url
    browser_login(pg, reviewer.username)

    # The scorecard before: agent_bj averages 77.5 this week (55 and 100).
    pg.goto(f"{pg.base_url}/callqa/scorecards/")
    assert pg.inner_text('[data-qa-card="agent_bj"] td[data-week="2026-11-30"]').startswith("77.5")

    # 1. The queue: the bad call first, with its score and the rule that fired.
    pg.goto(f"{pg.base_url}/callqa/")
    first = pg.locator("[data-qa-row]").first
    assert first.get_attribute("data-qa-row") == str(bad.pk)
    assert first.locator("[data-qa-score]").inner_text() == "55"
    assert "承诺收益" in first.inner_text()
    pg.screenshot(path=str(SHOTS / "callqa-1-queue.png"), full_page=True)

    # 2. Open it and play from the flagged second (the de-identified copy).
    first.locator("[data-qa-open]").click()
    pg.wait_for_url(re.compile(rf"/callqa/calls/{bad.pk}/$"))
    row = pg.locator(f'[data-qa-hit="{hit.pk}"]')
    row.locator("[data-seek]").click()
    _wait_for(lambda: ListeningEvent.objects.filter(user=reviewer, recording=bad).exists())
    at = _wait_for(lambda: pg.evaluate("document.querySelector('[data-player] audio').currentTime") or None)
    assert hit.second - 0.1 <= at <= hit.second + 3, (at, hit.second)
    assert ListeningEvent.objects.get(user=reviewer, recording=bad).version == "redacted"
    pg.screenshot(path=str(SHOTS / "callqa-2-call.png"), full_page=True)

    # 3. Overturn the hit with a reason: the score is recomputed.
    row.locator("input[name=reason]").fill("客户提到竞品宣传，坐席在澄清")
    with pg.expect_navigation():
        row.locator("button[type=submit]").click()
    assert pg.inner_text("h1 [data-qa-score]") == "85"
    assert "已推翻" in pg.inner_text(f'[data-qa-hit="{hit.pk}"]')
    pg.screenshot(path=str(SHOTS / "callqa-3-overturned.png"), full_page=True)

    # 4. The agent's scorecard for the week moved.
    pg.goto(f"{pg.base_url}/callqa/scorecards/")
    assert pg.inner_text('[data-qa-card="agent_bj"] td[data-week="2026-11-30"]').startswith("92.5")
    pg.screenshot(path=str(SHOTS / "callqa-4-scorecard.png"), full_page=True)
    ctx.close()
