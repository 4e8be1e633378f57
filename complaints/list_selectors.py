"""Reads of the complaint list: filters, search, sort orders, keyset pages and the capped count.
Every one is scoped through ``accounts.selectors`` (via ``complaints.selectors.complaints_for``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.core.cache import cache
from django.db import connections, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Organisation, User
from accounts.selectors import org_ids_visible_to, org_visible_to, subtree_of
from voc.extensions import ExtensionPoint

from . import cursor as cursors
from .models import ClassificationCode, Complaint, Customer
from .search import text_contains
from .selectors import FLAG_FIELDS, LIST_RELATED, complaints_for, customers_by_number, full_number
from .worklist import worklist_q


@dataclass
class ComplaintFilters:
    status: str = ""
    code_a: str = ""  # prefix, e.g. A03
    code_b: str = ""
    code_c: str = ""
    org: Organisation | None = None  # the org's subtree (must be visible to the user)
    channel: str = ""
    flags: list[str] = field(default_factory=list)
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    q: str = ""
    # A full mobile or ID number: the customer's cases, found by keyed hash (never a text search).
    number: str = ""
    customer_name: str = ""  # the customer's full name, exactly (张伟)
    # The worklist or one of its buckets as the inbox's tiles count it (complaints.worklist): overdue, ...
    bucket: str = ""
    nothing: bool = False  # a filter named something that does not exist


@dataclass
class ComplaintPage:
    items: list[Complaint]
    next_cursor: str | None
    count: int | None = None  # how many match, exact up to COUNT_CAP (asked for with ``count=True``)
    count_capped: bool = False  # more than COUNT_CAP match: shown as "10,000+"


# A status filter may name a group of states as well as one state.
STATUS_OPEN = "open"


@dataclass(frozen=True)
class Sort:
    """One order of the list: a column and its direction, ties broken on id the same way.
    Descending columns are never null (received_at, updated_at); the ascending one (the
    deadline) puts cases without one last."""

    name: str
    field: str
    descending: bool
    kind: type  # dt.datetime or dt.date: how its cursor is read

    def ordering(self) -> tuple:
        if self.descending:
            return (f"-{self.field}", "-id")
        return (F(self.field).asc(nulls_last=True), "id")


# Each has a supporting index (Complaint.Meta.indexes): cmp_received_desc, cmp_due_asc, cmp_updated_desc.
SORTS = {
    "received": Sort("received", "received_at", True, dt.datetime),  # newest first (the default)
    "due": Sort("due", "due_date", False, dt.date),  # nearest deadline first
    "updated": Sort("updated", "updated_at", True, dt.datetime),  # latest change first
}
DEFAULT_SORT = "received"


def complaint_filter(qs: QuerySet[Complaint], f: ComplaintFilters, user: User) -> QuerySet[Complaint]:
    if f.nothing:
        return qs.none()
    if f.status == STATUS_OPEN:
        from .states import OPEN_STATES

        qs = qs.filter(status__in=sorted(OPEN_STATES))
    elif f.status:
        qs = qs.filter(status=f.status)
    for axis in ("a", "b", "c"):
        prefix = getattr(f, f"code_{axis}")
        if prefix:
            codes = ClassificationCode.objects.filter(code__startswith=prefix.upper()).values("id")
            qs = qs.filter(**{f"code_{axis}_id__in": codes})
    if f.org is not None:
        if not org_visible_to(user, f.org):
            return qs.none()
        # An id list, not a subquery: a join to organisations lets the planner scan the whole
        # subtree by org and sort, instead of walking the received_at index (measured at 1M rows).
        subtree = list(subtree_of(f.org).values_list("id", flat=True))
        visible = org_ids_visible_to(user)
        if visible is not None:  # already a subset (scopes are subtrees); kept as a guard
            subtree = [i for i in subtree if i in visible]
        qs = qs.filter(responsible_org_id__in=subtree)
    if f.bucket:  # deadlines as of the bank's local day, as the inbox counts them
        qs = qs.filter(worklist_q(f.bucket, timezone.localdate()))
    if f.channel:
        qs = qs.filter(channel=f.channel)
    for flag in f.flags:
        if flag in FLAG_FIELDS:
            qs = qs.filter(**{flag: True})
    tz = timezone.get_current_timezone()  # dates are the bank's local days
    if f.received_from:
        qs = qs.filter(received_at__gte=dt.datetime.combine(f.received_from, dt.time.min, tzinfo=tz))
    if f.received_to:
        qs = qs.filter(
            received_at__lt=dt.datetime.combine(f.received_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        )
    q, number = f.q.strip(), f.number
    if q and not number and full_number(q):
        q, number = "", q  # a full number typed as search text (the API's q) finds the customer
    if number:
        customers = customers_by_number(number)
        if customers is None:
            return qs.none()
        qs = qs.filter(customer_id__in=customers.values("id"))
    name = " ".join(f.customer_name.split())
    if name:  # exact, as intake stores it (cmp_customer_name index)
        qs = qs.filter(customer_id__in=Customer.objects.filter(name=name).values("id"))
    if q:
        if q.upper().startswith("VOC-"):
            qs = qs.filter(reference=q.upper())
        else:
            qs = qs.filter(text_contains(q, ("summary", "details")) | Q(id__in=_other_apps_matches(q, user)))
    return qs


# Enough for any page a person reads; an id list (not a subquery) keeps the text index usable.
SEARCH_MATCH_CAP = 2000
# Other apps find cases by their own text (e.g. the redacted call transcripts), in the user's scope.
SEARCH = ExtensionPoint("search.complaint_ids_matching", owner="complaints", item=int)


def _other_apps_matches(q: str, user: User) -> list[int]:
    """Cases another app's text (e.g. a call transcript, redacted, in the user's scope) says match ``q``."""
    return SEARCH.collect(q, user, limit=SEARCH_MATCH_CAP)


def _matches(user: User, filters: ComplaintFilters, base: QuerySet[Complaint] | None = None) -> QuerySet[Complaint]:
    """The user's complaints that match ``filters``: the list's selection, for its rows and its count."""
    if base is None:
        base = Complaint.objects.all() if filters.org is not None else complaints_for(user)
    return complaint_filter(base, filters, user)


def complaint_page_for(
    user: User,
    filters: ComplaintFilters,
    *,
    cursor: str | None = None,
    limit: int = 25,
    sort: str = DEFAULT_SORT,
    count: bool = False,
) -> ComplaintPage:
    """One page of the user's complaints in the order ``sort`` (SORTS; newest first by default),
    by keyset on (the sort column, id).

    Fixed cost whatever the page size or depth, and no COUNT over the match set: one
    query finds the page's ids (no joins, so PostgreSQL walks the sort column's index),
    one loads those rows with codes, org and customer joined (plus, for branch users,
    their org ids, and for an org filter, its subtree ids). ``cursor`` comes from the
    previous page's ``next_cursor`` (of the same order); a malformed one raises ValueError.
    ``count``: also how many match, counting at most COUNT_CAP + 1 rows (``complaint_count``).
    """
    order = SORTS.get(sort)
    if order is None:
        raise ValueError(gettext("未知的排序方式"))
    after = _decode(cursor, order)
    # With an org filter, complaint_filter restricts to that subtree within the user's scope;
    # applying the scope as well repeats the org condition, and PostgreSQL, multiplying the
    # two selectivities, underestimates the rows and ANDs a 200k-row org bitmap into a
    # 500-row text match (branch search 16 ms vs 3 ms at head office, 1M rows).
    base = Complaint.objects.all() if filters.org is not None else complaints_for(user)
    matches = _matches(user, filters, base)
    qs = _after(matches, after, order)
    if replace(filters, org=None) == ComplaintFilters():  # the scope alone: the index order is exact
        ids = _newest(qs, limit + 1, order)
    else:
        window = _after(complaint_filter(base, ComplaintFilters(org=filters.org), user), after, order)
        ids = newest_ids(qs, window, limit + 1, order)
    next_ids, ids = ids[limit:], ids[:limit]
    rows = []
    if ids:
        by_id = Complaint.objects.select_related(*LIST_RELATED).in_bulk(ids)
        rows = [by_id[i] for i in ids]
    next_cursor = None
    if next_ids:
        next_cursor = _encode(rows[-1], order)
    page = ComplaintPage(rows, next_cursor)
    if count:
        page.count, page.count_capped = complaint_count(matches)
    return page


# The list says how many cases match up to here, and "10,000+" above: the count reads at most
# COUNT_CAP + 1 rows, so it costs the same at 1 M cases as at 20 k when they come from an index.
COUNT_CAP = 10_000
# A free-text search reads its matches through the trigram / gram index and checks each row:
# for a common word, 10,001 rows. The exact count gets this long (PostgreSQL statement_timeout);
# past it the list shows the planner's estimate, labelled as one ("约 1,200 条").
COUNT_BUDGET_MS = 20
COUNT_CACHE_SECONDS = 60


@dataclass(frozen=True)
class ResultCount:
    n: int  # exact (capped at COUNT_CAP), or the planner's estimate when ``estimated``
    capped: bool = False  # more than COUNT_CAP match (exact): "10,000+"
    estimated: bool = False  # the exact count ran out of its budget: "约 n"


def complaint_count(matches: QuerySet[Complaint]) -> tuple[int, bool]:
    """(how many rows ``matches`` has, capped at COUNT_CAP; whether there are more):
    ``SELECT COUNT(*) FROM (SELECT id ... LIMIT COUNT_CAP + 1)``."""
    n = matches.order_by().values("id")[: COUNT_CAP + 1].count()
    return min(n, COUNT_CAP), n > COUNT_CAP


def complaint_count_for(user: User, filters: ComplaintFilters) -> ResultCount:
    """How many of the user's complaints match ``filters`` (the list's own selection and scope),
    for the list's count (asked for after the page, by htmx). Exact up to COUNT_CAP when it takes
    at most COUNT_BUDGET_MS (PostgreSQL), else the planner's estimate; kept COUNT_CACHE_SECONDS
    per user and filters."""
    key = "complaints:count:" + _filters_key(user, filters)
    hit = cache.get(key)
    if isinstance(hit, ResultCount):
        return hit
    matches = _matches(user, filters)
    capped = matches.order_by().values("id")[: COUNT_CAP + 1]
    if connections[capped.db].vendor != "postgresql":
        n, over = complaint_count(matches)
        result = ResultCount(n, over)
    else:
        n = count_within(capped, COUNT_BUDGET_MS)
        result = ResultCount(min(n, COUNT_CAP), n > COUNT_CAP) if n is not None else _estimate(matches)
    cache.set(key, result, COUNT_CACHE_SECONDS)
    return result


def count_within(qs: QuerySet, budget_ms: int) -> int | None:
    """``qs.count()`` if PostgreSQL answers within ``budget_ms``, else None (the statement is
    cancelled by statement_timeout inside a savepoint, which also undoes the setting)."""
    from django.db.utils import OperationalError

    db = connections[qs.db]
    try:
        nested = db.in_atomic_block
        with transaction.atomic(using=qs.db), db.cursor() as cur:
            before = None
            if nested:  # the setting would outlive the savepoint: put it back after
                cur.execute("SELECT current_setting('statement_timeout')")
                before = cur.fetchone()[0]
            cur.execute("SELECT set_config('statement_timeout', %s, true)", [f"{int(budget_ms)}ms"])
            n = qs.count()
            if before is not None:
                cur.execute("SELECT set_config('statement_timeout', %s, true)", [before])
            return n
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", "") == "57014":  # query_canceled: past the budget
            return None
        raise


def _estimate(matches: QuerySet[Complaint]) -> ResultCount:
    """The planner's estimate of the match set's rows, to 2 figures."""
    return ResultCount(_two_figures(_plan_rows(matches)), estimated=True)


def _plan_rows(qs: QuerySet) -> int:
    """PostgreSQL's estimate of how many rows ``qs`` has (EXPLAIN: planned, nothing is read)."""
    import json

    sql, params = qs.order_by().values("id").query.sql_with_params()
    with connections[qs.db].cursor() as cur:
        cur.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cur.fetchone()[0]
    return int((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"])


def _two_figures(n: int) -> int:
    return n if n < 100 else int(float(f"{n:.2g}"))


def _filters_key(user: User, filters: ComplaintFilters) -> str:
    """The user and every filter, keyed-hashed (a search text or number never sits in a cache key,
    nor a plain hash of one that could be tried against every mobile number)."""
    import hashlib
    import hmac

    parts = [str(user.pk), repr(replace(filters, org=None)), str(filters.org.pk if filters.org else "")]
    return hmac.new(settings.SECRET_KEY.encode(), "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def _decode(token: str | None, order: Sort):
    if order.name == DEFAULT_SORT:  # the original cursor format (API clients hold these)
        return cursors.decode(token)
    return cursors.decode_key(token, order.name, kind=order.kind)


def _encode(row: Complaint, order: Sort) -> str:
    if order.name == DEFAULT_SORT:
        return cursors.encode(cursors.Cursor(row.received_at, row.id))
    return cursors.encode_key(order.name, getattr(row, order.field), row.id)


def _after(qs: QuerySet[Complaint], after, order: Sort | None = None) -> QuerySet[Complaint]:
    """Rows after the keyset cursor: the first conjunct is an index condition; the second breaks ties on id."""
    if after is None:
        return qs
    order = order or SORTS[DEFAULT_SORT]
    f = order.field
    value = after.received_at if isinstance(after, cursors.Cursor) else after.value
    if order.descending:
        return qs.filter(Q(**{f"{f}__lte": value}), Q(**{f"{f}__lt": value}) | Q(id__lt=after.id))
    if value is None:  # past the last case with a deadline: among those without one, by id
        return qs.filter(Q(**{f"{f}__isnull": True}), id__gt=after.id)
    later = Q(**{f"{f}__gt": value}) | Q(**{f: value}, id__gt=after.id)
    return qs.filter(later | Q(**{f"{f}__isnull": True}))


# How many of the scope's newest cases a filtered list tests before it reads the match set instead.
PROBE_ROWS = 2000
# How far the walk goes on when the probe found too few but the planner expects matches to be
# common (reading a common word's whole match set to sort it: 1.25 s at 1 M; this walk: tens of ms).
FAR_ROWS = 20_000
NEWEST_FIRST = ("-received_at", "-id")


def _newest(qs: QuerySet[Complaint], n: int, order: Sort | None = None) -> list[int]:
    ordering = order.ordering() if order else NEWEST_FIRST
    return list(qs.order_by(*ordering).values_list("id", flat=True)[:n])


def _planner_expects_dense(matches: QuerySet[Complaint], window: QuerySet[Complaint], n: int) -> bool:
    """Whether PostgreSQL's estimates put the first ``n`` matches within the probe's rows of the
    window (n × window rows / matching rows ≤ PROBE_ROWS). Only asked when the probe came up
    short, so it costs two EXPLAINs (no rows read) on the rarer path."""
    if connections[matches.db].vendor != "postgresql":
        return False
    m = _plan_rows(matches)
    return m > 0 and n * _plan_rows(window) <= PROBE_ROWS * m


def _within(order: Sort, edge) -> Q | None:
    """Rows up to and including ``edge`` in ``order`` (ties included), or None when that is every row."""
    if order.descending:
        return Q(**{f"{order.field}__gte": edge})
    return None if edge is None else Q(**{f"{order.field}__lte": edge})


def newest_ids(
    matches: QuerySet[Complaint], window: QuerySet[Complaint], n: int, order: Sort | None = None
) -> list[int]:
    """Ids of the first ``n`` rows of ``matches`` (a filtered ``window``) in ``order`` (newest first by default).

    PostgreSQL answers "newest n matching" by walking the received_at index and testing each
    row, which is right when matches are common, but reads a whole org's history when they are
    rare there and common elsewhere: its estimate is the whole table's (a sub-branch searching a
    term frequent in other branches and absent in its own: 375-800 ms at 1 M cases). So the walk
    is first bounded to the window's first ``PROBE_ROWS`` rows (it stops as soon as it has
    ``n``); rows come in order, so ``n`` found there are the first. Fewer means matches are
    sparse: the match set is then read through the indexes of its conditions (bitmap scans,
    cheap for a sparse set) and sorted. The other orders (SORTS) are bounded the same way on their column.
    """
    order = order or SORTS[DEFAULT_SORT]
    edge = list(window.order_by(*order.ordering()).values_list(order.field, flat=True)[PROBE_ROWS - 1 : PROBE_ROWS])
    if not edge:  # a small window: the walk is bounded anyway
        return _newest(matches, n, order)
    bound = _within(order, edge[0])
    if bound is not None:
        found = _newest(matches.filter(bound), n, order)
        if len(found) == n:
            return found
        if _planner_expects_dense(matches, window, n):
            # The newest rows are not like the rest (a burst of other cases on top of a common
            # word): the walk goes on, bounded again, before the match set is read instead.
            far = list(window.order_by(*order.ordering()).values_list(order.field, flat=True)[FAR_ROWS - 1 : FAR_ROWS])
            further = _within(order, far[0]) if far else Q()
            if further is not None:
                found = _newest(matches.filter(further), n, order)
                if len(found) == n or not far:
                    return found
    with transaction.atomic(using=matches.db):
        if connections[matches.db].vendor == "postgresql":
            with connections[matches.db].cursor() as cur:
                cur.execute("SET LOCAL enable_indexscan = off")
        ids = _newest(matches, n, order)
        # Undo the SET LOCAL on leaving: inside a caller's transaction this block is a savepoint,
        # and releasing a savepoint would keep the setting for the rest of that transaction.
        transaction.set_rollback(True, using=matches.db)
    return ids
