"""Retention rules (pure: no Django). Which closed cases may be anonymised or purged, and why not.

The regulation (CBIRC Order 2020 No. 3) keeps complaint records, recordings included, for at
least 3 years; PIPL says no longer than needed. A case becomes eligible the day after the
anniversary of its closure (``min_years`` after it) — closed on 29 February, its anniversary in a
common year is 1 March, the later reading, so a record is never dropped a day early.

Whatever its age, a case is held while any of these is true (``HOLD_*``): it is not in a final
state; a regulator inquiry on it is open; a verification (核实) or a decision awaiting review is
still open; its merge may still be undone; a transcription job on its recording is running. A case
and the cases merged into it are one group: each is held while another member is (a regulator asking
about the original asks about the duplicates folded into it; a purge must take them together).

``services.retention`` gathers the facts from the database and acts; this module only decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

LEGAL_MIN_YEARS = 3
ANONYMISE = "anonymise"
PURGE = "purge"
ACTIONS = (ANONYMISE, PURGE)

HOLD_OPEN = "open"  # not closed/withdrawn/merged/not accepted
HOLD_RETENTION = "within_retention"  # closed less than min_years ago
HOLD_INQUIRY = "regulator_inquiry"  # an open regulator inquiry
HOLD_VERIFICATION = "verification_open"  # a verification (核实) not yet decided
HOLD_REVIEW = "review_open"  # a decision waiting for head-office review
HOLD_MERGE = "merge_undoable"  # merged recently enough to be undone
HOLD_RECORDING_JOB = "recording_job"  # a transcription job still queued or running
HOLD_LINKED = "linked_case_held"  # the original or a duplicate merged into it is held
HOLDS = (
    HOLD_OPEN,
    HOLD_RETENTION,
    HOLD_INQUIRY,
    HOLD_VERIFICATION,
    HOLD_REVIEW,
    HOLD_MERGE,
    HOLD_RECORDING_JOB,
    HOLD_LINKED,
)


@dataclass(frozen=True)
class RetentionPolicy:
    min_years: int = LEGAL_MIN_YEARS
    action: str = ANONYMISE
    batch_size: int = 200
    # The weekly job acts only when this is on; otherwise it records a dry run (counts) each week.
    scheduled_apply: bool = False


def policy_problems(raw: Mapping) -> list[str]:
    """What is wrong with a policy mapping (``settings.VOC_RETENTION``); empty when it is valid."""
    problems = []
    unknown = set(raw) - {"min_years", "action", "batch_size", "scheduled_apply"}
    if unknown:
        problems.append(f"unknown keys: {', '.join(sorted(unknown))}")
    years = raw.get("min_years", LEGAL_MIN_YEARS)
    if not isinstance(years, int) or isinstance(years, bool):
        problems.append(f"min_years must be a whole number of years, not {years!r}")
    elif years < LEGAL_MIN_YEARS:
        problems.append(
            f"min_years is {years}: complaint records must be kept at least {LEGAL_MIN_YEARS} years (regulation)"
        )
    if raw.get("action", ANONYMISE) not in ACTIONS:
        problems.append(f"action must be one of {', '.join(ACTIONS)}, not {raw.get('action')!r}")
    batch = raw.get("batch_size", 200)
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        problems.append(f"batch_size must be a positive whole number, not {batch!r}")
    return problems


def policy_from(raw: Mapping) -> RetentionPolicy:
    """The policy, or ValueError naming every problem (never a policy under the legal minimum)."""
    problems = policy_problems(raw)
    if problems:
        raise ValueError("; ".join(problems))
    return RetentionPolicy(
        min_years=raw.get("min_years", LEGAL_MIN_YEARS),
        action=raw.get("action", ANONYMISE),
        batch_size=raw.get("batch_size", 200),
        scheduled_apply=bool(raw.get("scheduled_apply", False)),
    )


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later; 29 February becomes 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February -> a year without one
        return date(day.year + years, 3, 1)


def kept_until(closed_on: date, min_years: int) -> date:
    """The last day the record must still be kept: the anniversary ``min_years`` after closure."""
    return add_years(closed_on, min_years)


def past_retention(closed_on: date, today: date, min_years: int) -> bool:
    return kept_until(closed_on, min_years) < today


def latest_eligible_closure(today: date, min_years: int) -> date:
    """The latest closure day already past retention on ``today`` (a query bound: closed on or before it).

    ``kept_until`` is monotone, so the answer is the day before the first closure day whose
    anniversary is not before today; that day is within two days of ``today`` minus the years.
    """
    try:
        guess = today.replace(year=today.year - min_years)
    except ValueError:  # today is 29 February
        guess = date(today.year - min_years, 2, 28)
    day = guess + timedelta(days=2)
    while not past_retention(day, today, min_years):
        day -= timedelta(days=1)
    return day


@dataclass(frozen=True)
class CaseFacts:
    """What the rules need to know about one case (gathered by the service)."""

    case_id: int
    is_final: bool
    closed_on: date | None
    open_inquiries: int = 0
    open_verifications: int = 0
    pending_reviews: int = 0
    unmerge_until: date | None = None  # a merged case: the last day head office may undo it
    active_recording_jobs: int = 0
    linked_ids: tuple[int, ...] = field(default_factory=tuple)  # its original and its merged duplicates


def own_holds(facts: CaseFacts, *, today: date, min_years: int) -> tuple[str, ...]:
    """Why this case, on its own, must be kept as it is today (empty: it may go)."""
    holds = []
    if not facts.is_final or facts.closed_on is None:
        holds.append(HOLD_OPEN)
    elif not past_retention(facts.closed_on, today, min_years):
        holds.append(HOLD_RETENTION)
    if facts.open_inquiries:
        holds.append(HOLD_INQUIRY)
    if facts.open_verifications:
        holds.append(HOLD_VERIFICATION)
    if facts.pending_reviews:
        holds.append(HOLD_REVIEW)
    if facts.unmerge_until is not None and facts.unmerge_until >= today:
        holds.append(HOLD_MERGE)
    if facts.active_recording_jobs:
        holds.append(HOLD_RECORDING_JOB)
    return tuple(holds)


def decide(facts: Iterable[CaseFacts], *, today: date, min_years: int) -> dict[int, tuple[str, ...]]:
    """Holds per case id, including those inherited from linked cases (empty tuple: eligible).

    A linked case missing from ``facts`` counts as held: the rule never lets a case go on the
    strength of something it was not shown.
    """
    by_id = {f.case_id: f for f in facts}
    own = {cid: own_holds(f, today=today, min_years=min_years) for cid, f in by_id.items()}
    verdict = {}
    for cid, f in by_id.items():
        holds = own[cid]
        if any(own.get(other, (HOLD_LINKED,)) for other in f.linked_ids) and HOLD_LINKED not in holds:
            holds = (*holds, HOLD_LINKED)
        verdict[cid] = holds
    return verdict


def primary_hold(holds: tuple[str, ...]) -> str:
    """One reason to count a held case under (the first in ``HOLDS`` order)."""
    return min(holds, key=HOLDS.index)
