"""The hot-topic panel is served from a stored result with its "as of" time (issue 16): computed
once, kept until ``ANALYTICS_HOT_TERMS_MAX_AGE``, recomputed by the hourly beat job for the panels
read lately."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics import hot_counts, selectors, tasks
from analytics.models import HotTermCall, HotTermCount

from .test_hot_terms_panel import PERIOD, _calls


@pytest.fixture
def counted(org_tree, today):
    _calls(org_tree.bj, planted="手机银行闪退了", planted_now=10, seed=1)
    hot_counts.rebuild()


def _panel(user):
    return selectors.hot_terms_for(selectors.resolve_scope(user, None), PERIOD)


def _reads_counts(ctx) -> bool:
    return any(HotTermCount._meta.db_table in q["sql"] for q in ctx.captured_queries)


def _forget_counts():
    """The calls' counts gone: a panel computed now would show nothing."""
    HotTermCount.objects.all().delete()
    HotTermCall.objects.all().delete()


def test_the_stored_panel_is_served_until_it_is_too_old(users, counted, settings):
    first = _panel(users["bj_manager"])
    assert first.as_of is not None and any("闪退" in r.term.term for r in first.rows)
    _forget_counts()
    with CaptureQueriesContext(connection) as ctx:
        again = _panel(users["bj_manager"])
    assert again == first and not _reads_counts(ctx)  # the stored result, not read again
    settings.ANALYTICS_HOT_TERMS_MAX_AGE = 0  # too old: computed again, with a later "as of"
    fresh = _panel(users["bj_manager"])
    assert fresh.rows == () and fresh.as_of > first.as_of


def test_the_beat_job_recomputes_the_panels_read(users, counted):
    ho = _panel(users["ho_officer"])
    _panel(users["bj_manager"])
    _forget_counts()
    assert tasks.hot_terms_refresh() == 2  # head office and the branch: both read
    with CaptureQueriesContext(connection) as ctx:
        now = _panel(users["ho_officer"])
    assert not _reads_counts(ctx)  # served from what the job stored
    assert now.rows == () and now.as_of > ho.as_of


def test_the_panel_says_when_it_was_computed(client, users, counted):
    client.force_login(users["bj_manager"])
    body = client.get(reverse("analytics:hot_terms") + "?kind=week&anchor=2026-12-01").content.decode()
    as_of = _panel(users["bj_manager"]).as_of  # the stored panel the view showed
    assert f"统计时间 {timezone.localtime(as_of):%Y-%m-%d %H:%M}" in body
