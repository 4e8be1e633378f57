"""Reads of the workflow: the case clock, inboxes with counters, the head-office overview, queues.

Every list is scoped through ``accounts.selectors.scope_to_user``; counters are
one grouped aggregate query each (no Python loops over case rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.http import Http404
from django.utils import timezone

from accounts import roles
from accounts.models import Organisation, User
from accounts.selectors import scope_by_path, scope_to_user
from complaints.models import Complaint
from complaints.states import FINAL_STATES, OPEN_STATES, CaseState
from complaints.worklist import BUCKETS, RUNNING, WORKLIST_STATES, bucket_filters

from . import clocks
from .case_records import (
    cached_records,
    case_records,
    pauses_by_case,  # noqa: F401  (re-exported: its readers import it from here)
    pauses_of,
)
from .models import Decision, ExtensionRequest, InboxSeen
from .work_calendar import work_calendar


def _calendar() -> clocks.WorkCalendar:
    return work_calendar()


# How far ahead deadlines reach: the longest decision clock (60 days with upper-level approval)
# plus rest days and a verification clock started near its end.
CALENDAR_HORIZON_DAYS = 90


def calendar_gaps(today: date | None = None) -> list[int]:
    """Years that deadlines set from ``today`` can fall in but that have no holiday data.

    Deadlines in such a year are counted Monday-Friday: statutory holidays are not skipped and
    adjusted working weekends are not worked, so a due date may be off until the year's file
    (``workflow/holidays/cn_YYYY.json``) is added and ``manage.py recompute_due_dates`` is run.
    """
    today = today or timezone.localdate()
    return _calendar().missing_years(today, today + timedelta(days=CALENDAR_HORIZON_DAYS))


def case_for(user: User, pk: int) -> Complaint:
    """The case if the user may see it; otherwise 404 (never 403: no leak of existence)."""
    qs = scope_to_user(
        Complaint.objects.select_related("responsible_org", "assigned_to", "code_a", "code_b", "code_c"), user
    )
    try:
        return qs.get(pk=pk)
    except (Complaint.DoesNotExist, ValueError):
        raise Http404 from None


# --- The clock -----------------------------------------------------------------
# pauses_of / pauses_by_case live with the case's records (workflow.case_records), which
# timeliness reads too: selectors -> timeliness -> selectors was an import cycle (issue 13).
def clock_now(
    complaint: Complaint,
    now: datetime,
    *,
    extension_level: int | None = None,
    pauses: list[tuple[datetime, datetime | None]] | None = None,
) -> clocks.ClockStatus:
    """The decision clock of ``complaint`` at ``now`` (local time), from its pause rows
    (``pauses`` as ``pauses_by_case`` gives them, when the caller has read them for many cases)."""
    return clocks.clock_status(
        received_at=timezone.localtime(complaint.received_at),
        now=timezone.localtime(now),
        extension_level=complaint.extension_level if extension_level is None else extension_level,
        pauses=pauses_of(complaint) if pauses is None else pauses,
        calendar=_calendar(),
        due_soon_days=settings.WORKFLOW_DUE_SOON_DAYS,
    )


@dataclass(frozen=True)
class CaseClock:
    state: str  # overdue | paused | due_today | due_soon | on_track | verification | decided | ended
    due_date: date | None
    days_left: int | None
    period_days: int
    extension_level: int
    paused: bool
    paused_since: datetime | None
    paused_days: int
    decided_on_time: bool | None  # the decision clock (workflow.timeliness); None while open
    first_response_due: datetime
    first_response_at: datetime | None
    first_response_hours: float | None  # working hours from receipt to the branch's first response
    first_response_late: bool
    regulator_reference: str
    regulator_received_on: date | None
    regulator_forward_due: date | None
    regulator_forwarded_in_time: bool | None
    calendar_estimated: bool = False  # the due date's year has no holiday data (counted Mon-Fri)
    decision_due_date: date | None = None  # the decision deadline, also while a verification runs
    decision_late: bool = False  # told late, or ended (or still open) past the decision deadline


def clock_for(complaint: Complaint, *, now: datetime | None = None) -> CaseClock:
    now = now or timezone.now()
    cal = _calendar()
    received = timezone.localtime(complaint.received_at)
    hours = float(settings.WORKFLOW_FIRST_RESPONSE_HOURS)
    fr_due = clocks.first_response_due(received, hours=hours, calendar=cal)
    fr_at = timezone.localtime(complaint.first_response_at) if complaint.first_response_at else None
    fr_hours = clocks.working_hours_between(received, fr_at, calendar=cal) if fr_at else None
    fr_late = fr_at > fr_due if fr_at else (complaint.status not in FINAL_STATES and timezone.localtime(now) > fr_due)
    status = complaint.status
    # The decision clock comes from workflow.timeliness only; the verification clock
    # (due_date while a verification runs) never decides whether the answer was on time.
    from .timeliness import timeliness_of

    timely = timeliness_of(complaint, now=now)
    decided_on_time = timely.on_time
    due, days_left, paused, paused_days = timely.due_date, None, False, timely.paused_days
    if status in OPEN_STATES and status != CaseState.VERIFICATION:
        cs = clock_now(complaint, now)
        due, days_left, paused, paused_days, state = cs.due_date, cs.days_left, cs.paused, cs.paused_days, cs.state
        decided_on_time = None
    elif status == CaseState.VERIFICATION:
        due = complaint.due_date
        days_left = (due - timezone.localtime(now).date()).days if due else None
        state = "overdue" if days_left is not None and days_left < 0 else "verification"
    elif status in {CaseState.RESPONDED, CaseState.CLOSED} and timely.informed_at:
        state = "decided"
    else:
        state = "ended"
    reg_due = reg_ok = None
    if complaint.regulator_received_on:
        reg_due = clocks.regulator_forward_due(complaint.regulator_received_on, cal)
        reg_ok = received.date() <= reg_due
    return CaseClock(
        state=state,
        due_date=due,
        days_left=days_left,
        period_days=clocks.DECISION_DAYS.get(complaint.extension_level, 15),
        extension_level=complaint.extension_level,
        paused=paused,
        paused_since=complaint.paused_since,
        paused_days=paused_days,
        decided_on_time=decided_on_time,
        first_response_due=fr_due,
        first_response_at=fr_at,
        first_response_hours=fr_hours,
        first_response_late=fr_late,
        regulator_reference=complaint.regulator_reference,
        regulator_received_on=complaint.regulator_received_on,
        regulator_forward_due=reg_due,
        regulator_forwarded_in_time=reg_ok,
        calendar_estimated=bool(due and state not in {"decided", "ended"} and not cal.covers(due)),
        decision_due_date=timely.due_date,
        decision_late=timely.on_time is False,
    )


# --- Inboxes ---------------------------------------------------------------------
# The worklist and its buckets are conditions on the case row, defined once in complaints.worklist
# for the inbox (here) and the case list's 待办 filter, so a tile's count is the list's count.
_buckets = bucket_filters


def _urgency(qs: QuerySet) -> QuerySet:
    """Running clocks first (earliest deadline first), then paused, then answered cases."""
    rank = Case(
        When(status__in=RUNNING, then=Value(0)),
        When(status=CaseState.PAUSED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return qs.annotate(urgency=rank).order_by("urgency", "due_date", "id")


# The urgency groups of the worklist, in page order; each is read in (due_date, id) order.
URGENCY_GROUPS = (
    (0, RUNNING),
    (1, [CaseState.PAUSED]),
    (2, sorted(set(WORKLIST_STATES) - set(RUNNING) - {CaseState.PAUSED})),
)


class UrgencyList:
    """Worklist rows in urgency order, sliced without sorting the whole set.

    The same order as ``_urgency`` (running clocks by deadline, then paused, then
    answered), but a page is read group by group with ``ORDER BY due_date, id
    LIMIT``: an index-ordered scan (``wf_cmp_running_due``, ``cmp_status_due``)
    instead of a sort of every open case in scope. The group sizes (and so the
    pager's count) are given by ``inbox_for`` from its counters, or come from one
    grouped count (index-only over ``wf_cmp_worklist``).
    Paginator-compatible (``count()`` and plain slices).
    """

    def __init__(self, qs: QuerySet[Complaint], *, sizes: list[int] | None = None) -> None:
        self.qs = qs
        self._sizes = sizes  # per group, when the caller already counted them

    def _group_sizes(self) -> list[int]:
        if self._sizes is None:
            by_status = dict(self.qs.order_by().values_list("status").annotate(n=Count("id")))
            self._sizes = [sum(by_status.get(s, 0) for s in states) for _, states in URGENCY_GROUPS]
        return self._sizes

    def count(self) -> int:
        return sum(self._group_sizes())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[Complaint]:
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("UrgencyList supports plain slices only")
        start, stop = key.start or 0, key.stop if key.stop is not None else self.count()
        rows: list[Complaint] = []
        offset = 0
        for (rank, states), size in zip(URGENCY_GROUPS, self._group_sizes(), strict=True):
            lo, hi = max(start - offset, 0), min(stop - offset, size)
            if lo < hi:
                # Pick the page's ids first (index-only over wf_cmp_worklist: 0.7 ms for a branch at
                # 1M cases), then read those rows with their joins; reading whole joined rows in the
                # top-N sort cost ~6 ms (a heap fetch of every running case in scope).
                ids = self.qs.filter(status__in=states).order_by("due_date", "id").values("id")[lo:hi]
                group = self.qs.filter(pk__in=ids).annotate(urgency=Value(rank, IntegerField()))
                rows += group.order_by("due_date", "id")
            offset += size
            if offset >= stop:
                break
        return rows


def worklist_for(user: User) -> QuerySet[Complaint]:
    """Open (and answered, not yet closed) cases the user may see."""
    return scope_to_user(Complaint.objects.filter(status__in=WORKLIST_STATES), user)


def _counters(base: QuerySet[Complaint], today: date) -> tuple[dict[str, int], dict[str, list[int]]]:
    """The inbox counters and, per bucket, the size of each urgency group, from one grouped count.

    Grouping by (status, due_date) reads only ``wf_cmp_worklist`` (index-only) and returns a
    few hundred rows; folding them here is cheaper than ten filtered counts per case row in
    SQL. The rules mirror ``_buckets`` (the inbox tests check counters against the lists).
    """
    soon = today + timedelta(days=settings.WORKFLOW_DUE_SOON_DAYS)
    running_set = set(RUNNING)
    counters = dict.fromkeys(("total", *BUCKETS), 0)
    sizes = {b: [0, 0, 0] for b in ("", *BUCKETS)}
    rows = (
        base.order_by()
        .values_list("status", "due_date")
        .annotate(n=Count("id"), unassigned=Count("id", filter=Q(assigned_to__isnull=True)))
    )
    for status, due, n, unassigned in rows:
        running = status in running_set
        rank = 0 if running else 1 if status == CaseState.PAUSED else 2
        hits = {"": n}
        if running and due is not None:
            if due < today:
                hits["overdue"] = n
            elif due == today:
                hits["due_today"] = n
            elif due <= soon:
                hits["due_soon"] = n
        if status == CaseState.PAUSED:
            hits["paused"] = n
        if status == CaseState.HO_REVIEW:
            hits["awaiting_ho"] = n
        if status == CaseState.REGISTERED:
            hits["to_route"] = n
        elif unassigned:
            hits["unassigned"] = unassigned
        for b, k in hits.items():
            counters[b or "total"] += k
            sizes[b][rank] += k
    return counters, sizes


class CountedList:
    """A queryset with its size already known (from the counters): the pager does not count again."""

    def __init__(self, qs: QuerySet[Complaint], size: int) -> None:
        self.qs, self.size = qs, size

    def count(self) -> int:
        return self.size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, key: slice) -> list[Complaint]:
        return list(self.qs[key])


# The inbox's orders: by deadline (urgency groups, the default) or the latest change first,
# so that a case that just arrived (routed, returned, assigned) is at the top of page 1.
SORTS = ("deadline", "newest")
NEWEST_ORDER = ("-updated_at", "-id")  # the index cmp_updated_desc


def inbox_for(
    user: User, *, bucket: str = "", sort: str = "deadline", now: datetime | None = None
) -> tuple[UrgencyList | CountedList, dict[str, int]]:
    """The branch inbox: cases by urgency (an ``UrgencyList``) or newest first, and its counters.

    Two queries for a first page: the grouped counters (which also give the pager its
    total) and one index-ordered LIMIT query per urgency group on the page (one query
    for the newest-first order).
    """
    today = timezone.localtime(now or timezone.now()).date()
    buckets = _buckets(today)
    bucket = bucket if bucket in buckets else ""
    base = worklist_for(user)
    counters, sizes = _counters(base, today)
    qs = base.filter(buckets[bucket]) if bucket else base
    if sort == "newest":
        return CountedList(_urgency(_rows(qs)).order_by(*NEWEST_ORDER), sum(sizes[bucket])), counters
    return UrgencyList(_rows(qs), sizes=sizes[bucket]), counters


# --- "New since you last looked" ---------------------------------------------------
NEW_BADGE_CAP = 100  # the top bar counts at most this many (shown as "99+")


def inbox_seen_at(user: User, inbox: str) -> datetime | None:
    """When the user last opened ``inbox`` (None: never). One query."""
    return InboxSeen.objects.filter(user=user, inbox=inbox).values_list("seen_at", flat=True).first()


def inbox_changed_since(user: User, inbox: str, since: datetime) -> bool:
    """Whether any case of ``inbox`` changed after ``since`` (the user's last look). When none
    did, marking the inbox seen again changes nothing a later visit shows, so opening it need
    not write (issue 12: a write per page view). One EXISTS down ``cmp_updated_desc``."""
    base = worklist_for(user) if inbox == "inbox" else _mine(user)
    return base.filter(updated_at__gt=since).exists()


def is_new(complaint: Complaint, seen_at: datetime | None) -> bool:
    """Arrived in or changed in the user's inbox after they last looked (everything, if never)."""
    return seen_at is None or complaint.updated_at > seen_at


def mark_new(rows, seen_at: datetime | None) -> list[Complaint]:
    """Set ``is_new`` on each row of a page already read (no query)."""
    rows = list(rows)
    for c in rows:
        c.is_new = is_new(c, seen_at)
    return rows


def new_in_inbox_count(user: User, *, cap: int = NEW_BADGE_CAP) -> int:
    """How many cases of the user's inbox are new to them, counting at most ``cap``.

    One query: the last-seen time is a subquery, the count stops at ``cap`` rows (the
    newest-first index ``cmp_updated_desc`` is walked down to the last-seen time).
    """
    seen = InboxSeen.objects.filter(user=user, inbox="inbox")
    new = Q(updated_at__gt=Subquery(seen.values("seen_at")[:1])) | ~Exists(seen)
    ids = worklist_for(user).filter(new).order_by(*NEWEST_ORDER).values("id")[:cap]
    return ids.count()


# What templates/workflow/_case_row.html shows: loading only these keeps a list of 100
# cases from building 100 full rows (details is up to 5,000 characters) plus two joins.
ROW_FIELDS = (
    "id", "reference", "summary", "status", "due_date", "received_at", "is_regulator_referred", "is_elderly",
    "has_media_risk", "extension_level", "responsible_org__code", "responsible_org__name_zh",
    "assigned_to__username", "assigned_to__display_name", "first_response_at", "updated_at",
)  # fmt: skip


def _rows(qs: QuerySet[Complaint]) -> QuerySet[Complaint]:
    return qs.select_related("responsible_org", "assigned_to").only(*ROW_FIELDS)


def _mine(user: User) -> QuerySet[Complaint]:
    # The exclude matches the partial index wf_cmp_assignee_open (workflow migration 0002) word for word.
    return scope_to_user(Complaint.objects.filter(assigned_to=user).exclude(status__in=sorted(FINAL_STATES)), user)


def my_cases(user: User) -> QuerySet[Complaint]:
    qs = _mine(user)
    # assigned_to too: the row template shows the handler (one query per row otherwise).
    return _urgency(qs.select_related("responsible_org", "assigned_to"))


def my_cases_newest(user: User) -> QuerySet[Complaint]:
    """The user's cases, the latest change first."""
    return my_cases(user).order_by(*NEWEST_ORDER)


@dataclass
class BranchRow:
    org: Organisation
    total: int = 0
    overdue: int = 0
    due_today: int = 0
    due_soon: int = 0
    paused: int = 0
    awaiting_ho: int = 0
    to_route: int = 0
    unassigned: int = 0
    extensions: int = 0


def overview_by_branch(user: User, *, now: datetime | None = None) -> list[BranchRow]:
    """Head office's view: per branch (sub-branches folded in), from grouped aggregates."""
    today = timezone.localtime(now or timezone.now()).date()
    buckets = _buckets(today)
    per_org = (
        worklist_for(user)
        .values("responsible_org_id")
        .annotate(total=Count("id"), **{k: Count("id", filter=q) for k, q in buckets.items()})
        .order_by()
    )
    ext = (
        scope_to_user(ExtensionRequest.objects.filter(status="pending"), user, org_field="complaint__responsible_org")
        .values("complaint__responsible_org_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    orgs = {o.pk: o for o in Organisation.objects.all()}
    rows: dict[int, BranchRow] = {}

    def row_for(org_id: int) -> BranchRow:
        org = orgs[org_id]
        top = org.parent_id if org.kind == Organisation.Kind.SUB_BRANCH else org.pk
        return rows.setdefault(top, BranchRow(org=orgs[top]))

    for r in per_org:
        row = row_for(r["responsible_org_id"])
        for key in ("total", *buckets):
            setattr(row, key, getattr(row, key) + r[key])
    for r in ext:
        row_for(r["complaint__responsible_org_id"]).extensions += r["n"]
    return sorted(rows.values(), key=lambda r: (-r.overdue, -r.due_soon, r.org.path))


@dataclass
class ApprovalQueue:
    reviews: QuerySet
    extensions: QuerySet
    verifications: QuerySet

    @property
    def total(self) -> int:
        return self.reviews.count() + self.extensions.count() + self.verifications.count()


def approval_queue(user: User) -> ApprovalQueue:
    """What waits for this user's decision: HO reviews, extension requests, verifications."""
    none = Complaint.objects.none()
    reviews = none
    if user.has_role(roles.HO_OFFICER, roles.HO_APPROVER) and user.at_head_office:
        # One state (a running clock), so urgency is constant: ordering by (due_date, id) alone
        # walks cmp_status_due and stops at the page size instead of sorting every review.
        reviews = (
            _rows(scope_to_user(Complaint.objects.filter(status=CaseState.HO_REVIEW), user))
            .annotate(urgency=Value(0, IntegerField()))
            .order_by("due_date", "id")
        )
    levels = []
    if user.has_role(roles.BRANCH_MANAGER) and not user.at_head_office:
        levels.append(1)
    if user.has_role(roles.HO_APPROVER) and user.at_head_office:
        levels.append(2)
    pending = Q(status="pending", level__in=levels)
    if user.has_role(roles.HO_APPROVER) and user.at_head_office:
        # A branch manager's own level-1 request has nobody else at the branch to approve it.
        pending |= Q(status="pending", level=1, requested_by__role_grants__role=roles.BRANCH_MANAGER)
    extensions = scope_to_user(
        ExtensionRequest.objects.filter(pending).distinct(),
        user,
        org_field="complaint__responsible_org",
    ).select_related("complaint", "requested_by")
    # The row shows the case reference only (a full complaint row per request otherwise); the
    # case's status must be loaded too: the FSM mixin reads it on init (a query per row if deferred).
    extensions = extensions.only(
        "id", "complaint_id", "level", "reason", "requested_at", "requested_by", "status",
        "complaint__reference", "complaint__status",
    )  # fmt: skip
    verifications = none
    if user.has_role(roles.HO_APPROVER, roles.BRANCH_MANAGER) and user.org_id:
        verifications = _rows(
            scope_to_user(Complaint.objects.filter(status=CaseState.VERIFICATION), user).filter(
                verifications__upper_org_id=user.org_id, verifications__outcome=""
            )
        )  # the row template shows the org and the handler
    return ApprovalQueue(reviews=reviews, extensions=extensions.order_by("requested_at"), verifications=verifications)


def handlers_for_assignment(manager: User) -> QuerySet[User]:
    """Handlers in the manager's subtree (who the manager may assign to); people only."""
    qs = User.objects.people().filter(is_active=True, role_grants__role=roles.BRANCH_HANDLER).distinct()
    return scope_by_path(qs, manager, org_field="org").select_related("org").order_by("org__path", "username")


def case_page_prefetch(complaint: Complaint) -> None:
    """Read, once, what the case page's panels and action list ask about the case: its decisions
    (newest first) and the workflow's other rows (``case_records``: the log, comments, pauses,
    pending requests, involved staff, assignees; one query). The helpers below and the
    timeline, clock and permission rules answer from these when they are there, and query
    otherwise (services, other pages)."""
    if hasattr(complaint, "wf_decisions"):
        return
    prefetch_related_objects(
        [complaint],
        Prefetch(
            "decisions",
            queryset=Decision.objects.select_related("root_cause_code", "reviewed_by").order_by("-version"),
            to_attr="wf_decisions",
        ),
    )
    case_records(complaint)


def pending_extension(complaint: Complaint) -> ExtensionRequest | None:
    records = cached_records(complaint)
    if records is not None:
        return records.pending_extension
    return complaint.extension_requests.filter(status="pending").select_related("requested_by").first()


def latest_decision(complaint: Complaint) -> Decision | None:
    read = getattr(complaint, "wf_decisions", None)
    if read is not None:
        return read[0] if read else None
    return complaint.decisions.order_by("-version").first()


def has_pending_pause(complaint: Complaint) -> bool:
    records = cached_records(complaint)
    if records is not None:
        return records.has_pending_pause
    return complaint.pause_requests.filter(status="pending").exists()


def has_pending_verification_change(complaint: Complaint) -> bool:
    """A decision changed on verification waits for head office's review."""
    read = getattr(complaint, "wf_decisions", None)
    if read is not None:
        return any(d.review == "" and d.from_verification_id is not None for d in read)
    return complaint.decisions.filter(review="", from_verification__isnull=False).exists()
