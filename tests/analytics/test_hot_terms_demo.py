"""The demo's planted hot topic (issue 16): after the demo call history, the TOP page's panel
shows 手机银行闪退 rising this week at BJ, to BJ and head office, not to SH."""

from __future__ import annotations

import pytest
from django.urls import reverse

from analytics import demo, hot_counts, selectors
from analytics.periods import DEFAULT_PRESET, preset_period
from recordings.demo_history import PLANTED, seed_history
from recordings.models import CallRecording

from .conftest import make_case


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def history(org_tree, today):
    from complaints.models import Complaint

    for _ in range(2):  # the first is left to the synthesised demo calls
        make_case(org_tree.bj, today, b="B0101", c="C0101", channel=Complaint.Channel.HOTLINE)
    made = seed_history(today=today)
    hot_counts.rebuild()  # the demo step does it after the history (test_the_analytics_demo_step_seeds_it)
    return made


def test_the_analytics_demo_step_seeds_it(org_tree, today):
    demo.seed()
    assert CallRecording.objects.filter(original_name__startswith="demo-history-").count() > 0


def _terms(user, today) -> set[str]:
    period, _compare = preset_period(DEFAULT_PRESET, today)
    return {r.term.term for r in selectors.hot_terms_for(selectors.resolve_scope(user, None), period).rows}


def test_demo_history_shows_the_planted_phrase(users, history, today):
    assert history > 0 and seed_history(today=today) == 0  # idempotent
    assert CallRecording.objects.filter(original_name__startswith="demo-history-").count() == history
    ho = _terms(users["ho_officer"], today)
    # one phrase, not its overlapping pieces (手机银 / 机银行 / 行闪退)
    assert PLANTED in ho and not any(t != PLANTED and t in PLANTED for t in ho), ho
    # nothing of the demo's steady topics is rising: every rising term is a piece of the planted sentence
    assert all(t in f"{PLANTED}了，转不了账" for t in ho), ho
    assert any("闪退" in t for t in _terms(users["bj_manager"], today))
    assert not any("闪退" in t for t in _terms(users["sh_manager"], today))


def test_top_page_panel_shows_it(client, users, history):
    client.force_login(users["ho_officer"])
    body = client.get(reverse("analytics:hot_terms")).content.decode()
    assert "闪退" in body and "B0101" in body
