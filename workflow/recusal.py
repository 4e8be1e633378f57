"""回避 and independence: who must not act on a case, whatever their role (pure rules, no Django).

Two rules, one place (``workflow.permissions`` asks here for every action; the assignment
service asks before giving a case to someone):

* 回避 (conflict of interest): staff involved in the complaint — recorded at intake, named
  in its text, or added later — may not act on it at all and cannot be assigned it;
* independence of verification (核实): the upper level's decision on a verification, or the
  recording of its withdrawal, is not taken by anyone who handled or closed the case; the
  new decision a verification brings is not approved by the person who drafted it;
* nobody decides their own request: an extension or a pause is approved or rejected by
  someone other than the person who asked (the page offers the decision only to them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# Steps that make someone a handler of the case (the level being verified).
HANDLING_ACTIONS = frozenset(
    {
        "accept",
        "start_investigation",
        "draft_decision",
        "submit_for_review",
        "respond",
        "pause",
        "request_pause",
        "resume",
        "request_extension",
        "record_informed",
    }
)
CLOSING_ACTIONS = frozenset({"close"})
# Actions that must be taken by someone independent of the handling.
INDEPENDENT_ACTIONS = frozenset({"decide_verification", "withdraw_verification"})
# Approving a decision: never the person who drafted it (a verification's new decision is
# drafted at the upper level, so this is where it bites).
AUTHOR_EXCLUDED_ACTIONS = frozenset({"approve_decision", "return_to_branch"})
# Deciding a pending request (extension, pause): never the person who asked.
EXTENSION_DECISIONS = frozenset({"decide_extension_1", "decide_extension_2"})
PAUSE_DECISIONS = frozenset({"decide_pause"})
REQUESTER_EXCLUDED_ACTIONS = EXTENSION_DECISIONS | PAUSE_DECISIONS

INVOLVED, HANDLED, AUTHORED, REQUESTED = "involved", "handled", "authored", "requested"


@dataclass(frozen=True)
class CaseParties:
    """Who stands where on one case (user ids)."""

    involved: frozenset[int] = frozenset()
    handlers: frozenset[int] = frozenset()  # assignees (ever) and actors of handling steps
    closers: frozenset[int] = frozenset()
    pending_decision_author: int | None = None
    extension_requester: int | None = None  # who asked for the pending extension
    pause_requester: int | None = None  # who asked for the pending pause
    pause_by_manager: bool = False  # ... a branch manager (head office decides it, not a branch)
    extra: dict = field(default_factory=dict, compare=False)


def refusal(user_id: int, action: str, parties: CaseParties) -> str | None:
    """The rule ``user_id`` would break by doing ``action``: INVOLVED, HANDLED, AUTHORED, REQUESTED or None."""
    if user_id in parties.involved:
        return INVOLVED
    if action in INDEPENDENT_ACTIONS and (user_id in parties.handlers or user_id in parties.closers):
        return HANDLED
    if action in AUTHOR_EXCLUDED_ACTIONS and parties.pending_decision_author == user_id:
        return AUTHORED
    if action in EXTENSION_DECISIONS and parties.extension_requester == user_id:
        return REQUESTED
    if action in PAUSE_DECISIONS and parties.pause_requester == user_id:
        return REQUESTED
    return None


def may_be_assigned(user_id: int, parties: CaseParties) -> bool:
    return user_id not in parties.involved


_ASCII_WORD = re.compile(r"[A-Za-z0-9_.@+-]+")
MIN_CJK_NAME = 2  # a one-character "name" would match everywhere
MIN_LATIN_NAME = 3


def names_in_text(text: str, staff: Iterable[tuple[int, str, str]]) -> set[int]:
    """Ids of staff named in ``text``: ``staff`` is (id, username, display name).

    A Chinese display name of two or more characters matches as a substring (Chinese is
    written without spaces); a username or Latin name of three or more characters matches
    as a whole word, case-insensitively (``li`` does not match ``client``).
    """
    text = text or ""
    words = {w.lower() for w in _ASCII_WORD.findall(text)}
    found = set()
    for uid, username, display in staff:
        for name in (display or "", username or ""):
            name = name.strip()
            if not name:
                continue
            if _ASCII_WORD.fullmatch(name):
                if len(name) >= MIN_LATIN_NAME and name.lower() in words:
                    found.add(uid)
            elif len(name) >= MIN_CJK_NAME and name in text:
                found.add(uid)
    return found
