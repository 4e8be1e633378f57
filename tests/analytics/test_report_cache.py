"""The report cache: one computation per visibility and scope (not per user), fresh while the
rollup generation is current, and served at most ANALYTICS_STALE_SECONDS after a rollup change."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.cache import cache

from accounts import roles
from analytics.dimensions import dimension
from analytics.periods import custom_period
from analytics.selectors import top_issues
from analytics.selectors.base import GENERATION_KEY, cached, resolve_scope
from analytics.services import rollup_rebuild

from .conftest import make_case

START = "2026-12-07 10:00:00 +08:00"


def counting(value):
    calls = []

    def compute():
        calls.append(1)
        return value

    return compute, calls


def test_officers_with_the_same_view_share_one_computation(make_user, org_tree):
    first = make_user(roles.HO_OFFICER, org_tree.ho, username="officer_one")
    second = make_user(roles.HO_OFFICER, org_tree.ho, username="officer_two")
    compute, calls = counting("numbers")
    assert cached("top", resolve_scope(first, None), ("p",), compute) == "numbers"
    assert cached("top", resolve_scope(second, None), ("p",), compute) == "numbers"
    assert len(calls) == 1


def test_users_who_see_different_orgs_never_share_a_result(make_user, org_tree):
    head_office = make_user(roles.HO_OFFICER, org_tree.ho)
    branch = make_user(roles.BRANCH_MANAGER, org_tree.bj)
    assert cached("top", resolve_scope(head_office, None), ("p",), lambda: "whole bank") == "whole bank"
    assert cached("top", resolve_scope(branch, None), ("p",), lambda: "bj only") == "bj only"
    # the same org picked as scope, but by users of different visibility: still apart
    assert cached("top", resolve_scope(head_office, "BJ"), ("p",), lambda: "bj by ho") == "bj by ho"
    # the branch manager's default scope is their branch: picking it by name is the same report
    assert cached("top", resolve_scope(branch, "BJ"), ("p",), lambda: "recomputed") == "bj only"


def test_after_a_rollup_change_the_old_result_is_served_only_within_the_stale_window(make_user, org_tree, settings):
    settings.ANALYTICS_STALE_SECONDS = 30
    scope = resolve_scope(make_user(roles.HO_OFFICER, org_tree.ho), None)
    with time_machine.travel(START, tick=False) as clock:
        compute, calls = counting("before")
        cached("top", scope, ("p",), compute)
        cache.set(GENERATION_KEY, cache.get(GENERATION_KEY, 0) + 1, None)  # a rollup changed
        clock.shift(29)
        assert cached("top", scope, ("p",), lambda: "after") == "before"
        clock.shift(2)
        assert cached("top", scope, ("p",), lambda: "after") == "after"
        clock.shift(25)  # fresh for its generation, whatever its age (until the cache drops it)
        assert cached("top", scope, ("p",), lambda: "again") == "after"


def test_with_no_stale_window_a_new_case_shows_at_the_next_view(make_user, org_tree, settings):
    settings.ANALYTICS_STALE_SECONDS = 0
    user = make_user(roles.HO_OFFICER, org_tree.ho)
    with time_machine.travel(START, tick=False):
        period, dim = custom_period(date(2026, 12, 1), date(2026, 12, 7)), dimension("B", 2)
        make_case(org_tree.bj, period.start)
        rollup_rebuild()
        assert top_issues(resolve_scope(user, None), period, dim, with_rising=False).total == 1
        make_case(org_tree.sh, period.start)
        rollup_rebuild()  # bumps the generation
        assert top_issues(resolve_scope(user, None), period, dim, with_rising=False).total == 2


def test_a_cached_report_costs_a_branch_user_no_query(make_user, org_tree, django_assert_num_queries):
    branch = make_user(roles.BRANCH_MANAGER, org_tree.bj)
    cached("top", resolve_scope(branch, None), ("p",), lambda: "bj only")
    fresh = type(branch).objects.select_related("org").get(pk=branch.pk)  # nothing remembered on it
    scope = resolve_scope(fresh, None)
    with django_assert_num_queries(0):
        assert cached("top", scope, ("p",), lambda: "recomputed") == "bj only"


def test_past_the_window_one_request_recomputes_while_the_others_get_the_stale_report(make_user, org_tree, settings):
    """Issue 12: when the stale window ends, the web workers asking at that moment do not all
    recompute the same report (a stampede that stalled every page under load)."""
    settings.ANALYTICS_STALE_SECONDS = 30
    scope = resolve_scope(make_user(roles.HO_OFFICER, org_tree.ho), None)
    with time_machine.travel(START, tick=False) as clock:
        cached("top", scope, ("p",), lambda: "before")
        cache.set(GENERATION_KEY, cache.get(GENERATION_KEY, 0) + 1, None)  # a rollup changed
        clock.shift(31)
        meanwhile = []

        def recompute():
            # another worker asks for the same report while this one is computing it
            meanwhile.append(cached("top", scope, ("p",), lambda: "computed twice"))
            return "after"

        assert cached("top", scope, ("p",), recompute) == "after"
        assert meanwhile == ["before"]
        assert cached("top", scope, ("p",), lambda: "again") == "after"  # fresh now
        # The lock went with the recomputation: the next stale window recomputes again.
        cache.set(GENERATION_KEY, cache.get(GENERATION_KEY, 0) + 1, None)
        clock.shift(31)
        assert cached("top", scope, ("p",), lambda: "third") == "third"


def test_a_recomputation_that_fails_does_not_keep_the_others_on_the_stale_report(make_user, org_tree, settings):
    settings.ANALYTICS_STALE_SECONDS = 30
    scope = resolve_scope(make_user(roles.HO_OFFICER, org_tree.ho), None)
    with time_machine.travel(START, tick=False) as clock:
        cached("top", scope, ("p",), lambda: "before")
        cache.set(GENERATION_KEY, cache.get(GENERATION_KEY, 0) + 1, None)
        clock.shift(31)

        def broken():
            raise RuntimeError("database went away")

        with pytest.raises(RuntimeError):
            cached("top", scope, ("p",), broken)
        assert cached("top", scope, ("p",), lambda: "after") == "after"


def test_with_nothing_cached_every_request_computes_its_report(make_user, org_tree):
    """No stale value to serve: nobody is made to wait for another worker's computation."""
    scope = resolve_scope(make_user(roles.HO_OFFICER, org_tree.ho), None)
    meanwhile = []

    def compute():
        meanwhile.append(cached("top", scope, ("p",), lambda: "inner"))
        return "outer"

    assert cached("top", scope, ("p",), compute) == "outer"
    assert meanwhile == ["inner"]
