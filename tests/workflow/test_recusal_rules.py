"""The 回避 and independence rules (workflow.recusal), one behaviour per test.

Written against the hand-made mutants that survived the checklist suite (issue 17): dropping the
handler rule, the withdrawal's independence, a handling step, the author rule on a return, or
loosening the name matching each fails one of these.
"""

from __future__ import annotations

import pytest

from workflow import recusal
from workflow.recusal import AUTHORED, HANDLED, INVOLVED, CaseParties, names_in_text, refusal

HANDLER, CLOSER, AUTHOR, OTHER, NAMED = 1, 2, 3, 4, 5
PARTIES = CaseParties(
    involved=frozenset({NAMED}),
    handlers=frozenset({HANDLER}),
    closers=frozenset({CLOSER}),
    pending_decision_author=AUTHOR,
)


@pytest.mark.parametrize("action", ["decide_verification", "withdraw_verification"])
def test_who_handled_or_closed_the_case_neither_decides_nor_records_withdrawal_of_its_verification(action):
    assert refusal(HANDLER, action, PARTIES) == HANDLED
    assert refusal(CLOSER, action, PARTIES) == HANDLED
    assert refusal(OTHER, action, PARTIES) is None


@pytest.mark.parametrize("action", ["approve_decision", "return_to_branch"])
def test_the_author_of_the_pending_decision_neither_approves_nor_returns_it(action):
    assert refusal(AUTHOR, action, PARTIES) == AUTHORED
    assert refusal(OTHER, action, PARTIES) is None


def test_handling_a_case_does_not_bar_ordinary_steps_and_involvement_bars_everything():
    assert refusal(HANDLER, "respond", PARTIES) is None and refusal(CLOSER, "close", PARTIES) is None
    for action in ("accept", "respond", "decide_verification", "approve_decision", "assign"):
        assert refusal(NAMED, action, PARTIES) == INVOLVED
    assert not recusal.may_be_assigned(NAMED, PARTIES) and recusal.may_be_assigned(HANDLER, PARTIES)


@pytest.mark.parametrize("step", ["accept", "start_investigation", "draft_decision", "respond", "request_pause"])
def test_each_handling_step_makes_its_actor_a_handler(step):
    """case_parties reads these steps from the log: whoever accepted or told the customer handled it."""
    assert step in recusal.HANDLING_ACTIONS
    assert "close" in recusal.CLOSING_ACTIONS and "close" not in recusal.HANDLING_ACTIONS


def test_latin_names_match_as_whole_words_of_three_or_more_letters():
    staff = [(1, "li", ""), (2, "wang", "Wang Lei"), (3, "zhao", "")]
    # "li" is too short to be a name; "wang" in "wangfujing" is not the word "wang"; "zhao" is.
    assert names_in_text("客户 client 在 wangfujing 网点，经办 Zhao 态度差", staff) == {3}
    assert names_in_text("li wang", staff) == {2}
