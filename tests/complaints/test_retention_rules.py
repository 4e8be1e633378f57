"""The retention rules (complaints.retention): pure, checked exhaustively over dates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from complaints import retention as rules
from tests.conftest import PINNED_TODAY

days = st.dates(min_value=date(2001, 1, 1), max_value=date(2090, 12, 31))


def facts(case_id=1, *, closed_on=date(2020, 1, 1), is_final=True, **kw) -> rules.CaseFacts:
    return rules.CaseFacts(case_id=case_id, is_final=is_final, closed_on=closed_on, **kw)


@given(closed=days, today=days, years=st.integers(min_value=3, max_value=12))
def test_a_case_goes_only_after_the_anniversary_of_its_closure(closed, today, years):
    eligible = rules.past_retention(closed, today, years)
    anniversary = rules.kept_until(closed, years)
    assert eligible == (anniversary < today)
    # Never a day early: at least `years` calendar years have passed, counted the long way round.
    if eligible:
        assert (today.year - closed.year) * 12 + (today.month - closed.month) >= years * 12
        assert today - closed > timedelta(days=365 * years)


@given(today=days, years=st.integers(min_value=3, max_value=12))
def test_the_query_bound_is_the_last_eligible_closure_day(today, years):
    bound = rules.latest_eligible_closure(today, years)
    assert rules.past_retention(bound, today, years)
    assert not rules.past_retention(bound + timedelta(days=1), today, years)


def test_the_day_counts_on_the_pinned_day():
    three = PINNED_TODAY.replace(year=PINNED_TODAY.year - 3)
    assert rules.latest_eligible_closure(PINNED_TODAY, 3) == three - timedelta(days=1)
    assert not rules.past_retention(three, PINNED_TODAY, 3)  # exactly three years: kept today


def test_a_case_closed_on_29_february_is_kept_through_28_february_and_1_march():
    assert rules.kept_until(date(2024, 2, 29), 3) == date(2027, 3, 1)
    assert not rules.past_retention(date(2024, 2, 29), date(2027, 3, 1), 3)
    assert rules.past_retention(date(2024, 2, 29), date(2027, 3, 2), 3)
    assert rules.latest_eligible_closure(date(2028, 2, 29), 4) == date(2024, 2, 28)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"min_years": 2}, "at least 3 years"),
        ({"min_years": 0}, "at least 3 years"),
        ({"min_years": 2.9}, "whole number"),
        ({"min_years": True}, "whole number"),
        ({"action": "shred"}, "action must be one of"),
        ({"batch_size": 0}, "batch_size"),
        ({"years": 5}, "unknown keys: years"),
    ],
)
def test_a_policy_under_three_years_or_malformed_is_refused(raw, problem):
    assert any(problem in p for p in rules.policy_problems(raw))
    with pytest.raises(ValueError, match=problem):
        rules.policy_from(raw)


def test_valid_policies_and_the_default():
    assert rules.policy_problems({}) == []
    assert rules.policy_from({}) == rules.RetentionPolicy(3, "anonymise", 200, False)
    assert rules.policy_from({"min_years": 5, "action": "purge", "scheduled_apply": True}).action == "purge"


TODAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("kw", "hold"),
    [
        ({"is_final": False}, rules.HOLD_OPEN),
        ({"closed_on": None}, rules.HOLD_OPEN),
        ({"closed_on": date(2024, 1, 1)}, rules.HOLD_RETENTION),
        ({"open_inquiries": 1}, rules.HOLD_INQUIRY),
        ({"open_verifications": 1}, rules.HOLD_VERIFICATION),
        ({"pending_reviews": 1}, rules.HOLD_REVIEW),
        ({"unmerge_until": TODAY}, rules.HOLD_MERGE),
        ({"active_recording_jobs": 1}, rules.HOLD_RECORDING_JOB),
    ],
)
def test_each_hold_keeps_an_old_case(kw, hold):
    assert rules.decide([facts(**kw)], today=TODAY, min_years=3) == {1: (hold,)}


def test_an_old_closed_case_with_nothing_open_may_go():
    assert rules.decide([facts(unmerge_until=TODAY - timedelta(days=1))], today=TODAY, min_years=3) == {1: ()}


def test_a_hold_on_one_case_of_a_merge_group_holds_the_others():
    original = facts(1, linked_ids=(2, 3), open_inquiries=1)
    duplicates = [facts(2, linked_ids=(1, 3)), facts(3, linked_ids=(1, 2))]
    verdict = rules.decide([original, *duplicates], today=TODAY, min_years=3)
    assert verdict == {1: (rules.HOLD_INQUIRY,), 2: (rules.HOLD_LINKED,), 3: (rules.HOLD_LINKED,)}
    assert rules.primary_hold((rules.HOLD_LINKED, rules.HOLD_INQUIRY)) == rules.HOLD_INQUIRY


def test_a_linked_case_the_rule_was_not_shown_counts_as_held():
    assert rules.decide([facts(1, linked_ids=(9,))], today=TODAY, min_years=3) == {1: (rules.HOLD_LINKED,)}
