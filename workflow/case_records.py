"""The workflow's rows of one case, read in one query for the case page.

The case page asks the same few tables many times over: the timeline (transitions, comments,
notifications sent), the clock (pauses, when the customer was first told), the action list and
the 回避/independence rules (involved staff, assignees, handling steps, pending extension and
pause requests). ``case_records(complaint)`` reads all of them in one ``UNION ALL`` of narrow
rows — bounded by what the one case holds, never by the size of the tables — and keeps the
result on the complaint object, so every reader on the same request answers from it
(``timeline``, ``selectors.pauses_of``, ``timeliness.timeliness_of``,
``permissions.case_parties``). Without it (services, other pages) they query as before.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    JSONField,
    OuterRef,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.utils import timezone

from accounts import roles
from accounts.models import Notification, RoleGrant, User
from complaints.models import Complaint

from .models import Assignment, CaseComment, CaseTransition, ExtensionRequest, InvolvedStaff, Pause, PauseRequest

CACHE_ATTR = "_wf_records"
CASE_TARGET = Complaint._meta.label_lower  # what a notification about a case names as its target

# The columns every branch of the union yields, in this order (one narrow shape for all rows).
COLUMNS = ("r_kind", "r_id", "r_at", "r_until", "r_user", "r_name", "r_login", "r_code", "r_from", "r_to", "r_text",
           "r_num", "r_data")  # fmt: skip


@dataclass(frozen=True)
class CommentRow:
    at: datetime
    body: str
    author: str


@dataclass(frozen=True)
class SentNotification:
    at: datetime  # the first recipient's
    title: str
    recipients: int


@dataclass
class CaseRecords:
    transitions: list[CaseTransition]  # in (at, id) order; each has ``actor_name``
    comments: list[CommentRow]
    notifications: list[SentNotification]  # one per notified event, not per recipient
    pauses: list[tuple[datetime, datetime | None]]  # local time, as ``selectors.pauses_by_case``
    pending_extension: ExtensionRequest | None
    pending_pause_requester: int | None
    pending_pause_by_manager: bool
    involved: frozenset[int]
    assignees: frozenset[int]  # everyone the case was ever assigned to

    @property
    def has_pending_pause(self) -> bool:
        return self.pending_pause_requester is not None

    @property
    def informed_at(self) -> datetime | None:
        """The first "respond" in the log (``timeliness.informed_times``)."""
        return min((t.at for t in self.transitions if t.action == "respond"), default=None)


def _null(field) -> Cast:
    # Typed: PostgreSQL resolves a chain of UNIONs pair by pair, and two bare NULLs become text.
    return Cast(Value(None), output_field=field)


def _row(qs, **cols):
    """One branch of the union: ``cols`` give the columns (missing ones are NULL / empty)."""
    defaults = {
        "r_until": _null(DateTimeField()),
        "r_user": _null(BigIntegerField()),
        "r_name": Value("", output_field=CharField()),
        "r_login": Value("", output_field=CharField()),
        "r_code": Value("", output_field=CharField()),
        "r_from": Value("", output_field=CharField()),
        "r_to": Value("", output_field=CharField()),
        "r_text": Value("", output_field=TextField()),
        "r_num": Value(0, output_field=IntegerField()),
        "r_data": _null(JSONField()),
    }
    merged = {**defaults, **cols}
    # Every branch annotates in COLUMNS order, so the union's columns line up on every backend.
    return qs.order_by().annotate(**{c: merged[c] for c in COLUMNS}).values_list(*COLUMNS)


def _query(complaint_id: int):
    kind = lambda k: Value(k, output_field=CharField())  # noqa: E731
    manager = Exists(RoleGrant.objects.filter(user_id=OuterRef("requested_by_id"), role=roles.BRANCH_MANAGER))
    branches = [
        _row(
            CaseTransition.objects.filter(complaint_id=complaint_id),
            r_kind=kind("transition"), r_id=F("id"), r_at=F("at"), r_user=F("actor_id"),
            r_name=F("actor__display_name"), r_login=F("actor__username"), r_code=F("action"),
            r_from=F("from_state"), r_to=F("to_state"), r_text=F("reason"), r_data=F("data"),
        ),
        _row(
            CaseComment.objects.filter(complaint_id=complaint_id),
            r_kind=kind("comment"), r_id=F("id"), r_at=F("at"), r_user=F("author_id"),
            r_name=F("author__display_name"), r_login=F("author__username"), r_text=F("body"),
        ),
        _row(
            Notification.objects.filter(target_type=CASE_TARGET, target_id=complaint_id),
            r_kind=kind("notification"), r_id=F("id"), r_at=F("created_at"), r_code=F("dedupe_key"),
            r_text=F("title"),
        ),
        _row(
            Pause.objects.filter(complaint_id=complaint_id),
            r_kind=kind("pause"), r_id=F("id"), r_at=F("started_at"), r_until=F("ended_at"),
        ),
        _row(
            PauseRequest.objects.filter(complaint_id=complaint_id, status=PauseRequest.Status.PENDING),
            r_kind=kind("pause_request"), r_id=F("id"), r_at=F("requested_at"), r_user=F("requested_by_id"),
            r_code=Case(When(manager, then=Value("manager")), default=Value(""), output_field=CharField()),
        ),
        _row(
            ExtensionRequest.objects.filter(complaint_id=complaint_id, status=ExtensionRequest.Status.PENDING),
            r_kind=kind("extension_request"), r_id=F("id"), r_at=F("requested_at"), r_user=F("requested_by_id"),
            r_name=F("requested_by__display_name"), r_login=F("requested_by__username"), r_text=F("reason"),
            r_num=F("level"),
        ),
        _row(
            InvolvedStaff.objects.filter(complaint_id=complaint_id),
            r_kind=kind("involved"), r_id=F("id"), r_at=F("added_at"), r_user=F("user_id"),
        ),
        _row(
            Assignment.objects.filter(complaint_id=complaint_id),
            r_kind=kind("assignment"), r_id=F("id"), r_at=F("at"), r_user=F("assigned_to_id"),
        ),
    ]  # fmt: skip
    return branches[0].union(*branches[1:], all=True)


def case_records(complaint) -> CaseRecords:
    """The workflow's rows of ``complaint`` (one query, kept on the object for this request)."""
    cached = getattr(complaint, CACHE_ATTR, None)
    if cached is not None:
        return cached
    rows = defaultdict(list)
    for row in _query(complaint.pk):
        rows[row[0]].append(dict(zip(COLUMNS, row, strict=True)))
    by_time = lambda r: (r["r_at"], r["r_id"])  # noqa: E731
    transitions = []
    for r in sorted(rows["transition"], key=by_time):
        t = CaseTransition(
            id=r["r_id"], complaint_id=complaint.pk, action=r["r_code"], from_state=r["r_from"] or "",
            to_state=r["r_to"] or "", actor_id=r["r_user"], reason=r["r_text"] or "", data=r["r_data"] or {},
            at=r["r_at"],
        )  # fmt: skip
        t.actor_name = _name(r)
        transitions.append(t)
    sent: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for r in rows["notification"]:
        sent[(r["r_code"], r["r_text"])].append(r["r_at"])
    pause_requests = sorted(rows["pause_request"], key=by_time)
    extensions = sorted(rows["extension_request"], key=by_time)
    records = CaseRecords(
        transitions=transitions,
        comments=[CommentRow(r["r_at"], r["r_text"], _name(r)) for r in sorted(rows["comment"], key=by_time)],
        notifications=[SentNotification(min(ats), title, len(ats)) for (_key, title), ats in sent.items()],
        pauses=[
            (timezone.localtime(r["r_at"]), timezone.localtime(r["r_until"]) if r["r_until"] else None)
            for r in sorted(rows["pause"], key=by_time)
        ],
        pending_extension=_extension(complaint, extensions[0]) if extensions else None,
        pending_pause_requester=pause_requests[0]["r_user"] if pause_requests else None,
        pending_pause_by_manager=bool(pause_requests) and pause_requests[0]["r_code"] == "manager",
        involved=frozenset(r["r_user"] for r in rows["involved"]),
        assignees=frozenset(r["r_user"] for r in rows["assignment"]),
    )
    setattr(complaint, CACHE_ATTR, records)
    return records


def cached_records(complaint) -> CaseRecords | None:
    """The records if this request has read them for ``complaint`` (otherwise the caller queries)."""
    return getattr(complaint, CACHE_ATTR, None)


def _name(r: dict) -> str:
    """What ``str(user)`` gives: the display name, else the username ("" without a user)."""
    return r["r_name"] or r["r_login"] or ""


def _extension(complaint, r: dict) -> ExtensionRequest:
    """The pending extension request as the clock panel and the action list use it (level, id,
    who asked: ``requested_by`` is a name-only user, for display)."""
    req = ExtensionRequest(
        id=r["r_id"], complaint_id=complaint.pk, level=r["r_num"], reason=r["r_text"] or "",
        status=ExtensionRequest.Status.PENDING, requested_by_id=r["r_user"], requested_at=r["r_at"],
    )  # fmt: skip
    req.requested_by = User(id=r["r_user"], username=r["r_login"] or "", display_name=r["r_name"] or "")
    return req


def pauses_of(complaint: Complaint) -> list[tuple[datetime, datetime | None]]:
    """The case's pauses as (start, end or None) in local time: from the case page's records when
    they were read, else one query."""
    records = cached_records(complaint)
    if records is not None:
        return records.pauses
    return pauses_by_case([complaint.pk])[complaint.pk]


def pauses_by_case(ids: list[int]) -> dict[int, list[tuple[datetime, datetime | None]]]:
    """Each case's pauses as (start, end or None) in local time, for many cases in one query."""
    found: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    rows = Pause.objects.filter(complaint_id__in=ids).values_list("complaint_id", "started_at", "ended_at")
    for cid, start, end in rows:
        found[cid].append((timezone.localtime(start), timezone.localtime(end) if end else None))
    return found
