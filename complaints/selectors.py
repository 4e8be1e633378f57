"""Reads of complaints and customers. Every one is scoped through ``accounts.selectors``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.core.cache import cache
from django.db import connections, transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Organisation, User
from accounts.selectors import org_ids_visible_to, org_visible_to, scope_by_path, scope_to_user, subtree_of
from voc.extensions import ExtensionPoint

from . import crypto, pii, routing
from . import cursor as cursors
from .models import ClassificationCode, Complaint, Customer, RoutingRule, SavedView
from .search import text_contains
from .taxonomy_selectors import CodeRow, attach_codes, taxonomy_rows
from .worklist import worklist_q

FLAG_FIELDS = ("is_elderly", "is_repeat", "is_regulator_referred", "is_group_impact", "has_media_risk")
LIST_RELATED = ("code_a", "code_b", "code_c", "responsible_org", "customer")


def complaints_for(user: User) -> QuerySet[Complaint]:
    """All complaints this user may see (their org's subtree; head office: all)."""
    return scope_to_user(Complaint.objects.all(), user)


def complaint_get_for(user: User, reference: str) -> Complaint:
    """One case by reference, or Http404 if it does not exist OR is outside the user's scope."""
    try:
        return complaints_for(user).select_related(*LIST_RELATED, "created_by", "repeat_of").get(reference=reference)
    except Complaint.DoesNotExist:
        raise Http404 from None


# The one case page reads the case with everything its header and panels name (one query);
# its classification codes come from the cached taxonomy (four joins fewer to plan and run).
CASE_PAGE_RELATED = ("responsible_org", "customer", "created_by", "repeat_of", "assigned_to", "merged_into")
CASE_PAGE_CODES = ("code_a", "code_b", "code_c", "root_cause_code")


def case_page_get(user: User, pk: int) -> Complaint:
    """The case for the one case page, by id, or Http404 if it does not exist OR is outside the user's scope."""
    try:
        # Scoped by the organisation's path (joined anyway): no query for the user's subtree first.
        case = scope_by_path(Complaint.objects.all(), user).select_related(*CASE_PAGE_RELATED).get(pk=pk)
    except (Complaint.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    attach_codes(case, CASE_PAGE_CODES)
    return case


def case_relatives_for(user: User, case: Complaint, *, history: bool, limit: int = 10):
    """(the later repeats of ``case``, the customer's earlier cases newest first — at most
    ``limit``, only when ``history``), among the cases the user may see, in one query."""
    wanted = Q(repeat_of=case)
    if history and case.customer_id:
        earlier = Q(received_at__lt=case.received_at) | Q(received_at=case.received_at, pk__lt=case.pk)
        wanted |= Q(customer_id=case.customer_id) & earlier
    rows = list(
        scope_by_path(Complaint.objects.all(), user)  # as complaints_for, without reading the subtree first
        .filter(wanted)
        .exclude(pk=case.pk)
        .select_related("code_b", "responsible_org")
        .order_by("-received_at", "-id")
    )
    repeats = [c for c in rows if c.repeat_of_id == case.pk]
    others = [c for c in rows if history and c.customer_id == case.customer_id and c.repeat_of_id != case.pk]
    return repeats, others[:limit]


def case_id_for(user: User, reference: str) -> int:
    """The id of the case with this reference if the user may see it; otherwise Http404."""
    pk = complaints_for(user).filter(reference=reference).values_list("pk", flat=True).first()
    if pk is None:
        raise Http404
    return pk


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


# --- customers -------------------------------------------------------------------------


def customer_lookup(*, mobile: str = "", id_number: str = "") -> Customer | None:
    """Exact lookup by keyed hash (current or old key, see complaints.crypto); ValueError
    for a malformed number."""
    if id_number.strip():
        hashes = crypto.keyed_hash_candidates(pii.normalize_id_number(id_number))
        found = Customer.objects.filter(id_number_hash__in=hashes).order_by("id").first()
        if found:
            return found
    if mobile.strip():
        hashes = crypto.keyed_hash_candidates(pii.normalize_mobile(mobile))
        return Customer.objects.filter(mobile_hash__in=hashes).order_by("id").first()
    return None


_NUMBER_KINDS = ((pii.normalize_mobile, "mobile_hash"), (pii.normalize_id_number, "id_number_hash"))


def full_number(value: str) -> str | None:
    """``value`` as a normalised full mobile or ID number, or None if it is neither."""
    for normalize, _column in _NUMBER_KINDS:
        try:
            return normalize(value)
        except ValueError:
            continue
    return None


def customers_by_number(number: str) -> QuerySet[Customer] | None:
    """Customers whose mobile or ID number is ``number`` (exact, by keyed hash), or None
    when ``number`` is not a full mobile or ID number (then it is ordinary search text)."""
    for normalize, column in _NUMBER_KINDS:
        try:
            value = normalize(number)
        except ValueError:
            continue
        return Customer.objects.filter(**{f"{column}__in": crypto.keyed_hash_candidates(value)})
    return None


def customer_cases_for(user: User, customer: Customer, *, limit: int = 10) -> list[Complaint]:
    """The customer's earlier cases that this user may see, newest first."""
    qs = complaints_for(user).filter(customer=customer).select_related("code_b", "responsible_org")
    return list(qs.order_by("-received_at", "-id")[:limit])


def visible_repeat_refs(user: User, cases) -> dict[int, Complaint]:
    """The earlier cases that ``cases`` repeat, by id, limited to those this user may see (a
    repeat of another branch's case must not reveal that case), in one query."""
    ids = {c.repeat_of_id for c in cases if c.repeat_of_id}
    if not ids:
        return {}
    # "status" too: the FSM mixin reads it when a row loads (else one query per row)
    earlier = complaints_for(user).filter(pk__in=ids).only("reference", "received_at", "status")
    return {c.pk: c for c in earlier}


def repeat_candidate(*, customer: Customer, code_b_id: int, received_at: dt.datetime) -> Complaint | None:
    """The latest case of the same customer with the same B code within the repeat window."""
    since = received_at - dt.timedelta(days=settings.COMPLAINT_REPEAT_WINDOW_DAYS)
    return (
        Complaint.objects.filter(
            customer=customer, code_b_id=code_b_id, received_at__gte=since, received_at__lte=received_at
        )
        .order_by("-received_at", "-id")
        .first()
    )


# --- recently used codes -------------------------------------------------------------------


def recent_codes_for(user: User, *, per_axis: int = 6, scan: int = 40) -> dict[str, list[CodeRow]]:
    """The codes this agent used on their latest cases, most frequent first, per axis."""
    rows = {r.code: r for r in taxonomy_rows()}
    recent = list(
        Complaint.objects.filter(created_by=user)
        .order_by("-created_at")
        .values_list("code_a__code", "code_b__code", "code_c__code")[:scan]
    )
    out: dict[str, list[CodeRow]] = {}
    for i, axis in enumerate("ABC"):
        counts: dict[str, int] = {}
        for triple in recent:
            counts[triple[i]] = counts.get(triple[i], 0) + 1
        ranked = sorted(counts, key=lambda c: -counts[c])[:per_axis]
        out[axis] = [rows[c] for c in ranked if c in rows]
    return out


# --- routing ---------------------------------------------------------------------------------


_ROUTING_CACHE_KEY = "routing:rules:v1"
_ROUTING_CACHE_SECONDS = 30


def routing_rules_active() -> list[RoutingRule]:
    """Active rules with their target orgs, cached briefly (every registration routes);
    the admin clears the cache on save, other edits show within 30 seconds."""
    rules = cache.get(_ROUTING_CACHE_KEY)
    if rules is None:
        rules = list(RoutingRule.objects.filter(is_active=True).select_related("target_org"))
        cache.set(_ROUTING_CACHE_KEY, rules, _ROUTING_CACHE_SECONDS)
    return rules


def routing_rules_cache_clear() -> None:
    cache.delete(_ROUTING_CACHE_KEY)


@dataclass(frozen=True)
class RoutingSuggestion:
    org: Organisation
    rule: RoutingRule | None
    reason: str


def routing_decide(
    *,
    code_b: str,
    channel: str,
    home_org: Organisation | None = None,
    card_issuing_org: Organisation | None = None,
) -> RoutingSuggestion:
    """Where a case with this B code and channel should go (rules as data, see complaints.routing).

    The workflow's "route to branch" reuses this for its suggestion.
    """
    rules_by_id = {r.id: r for r in routing_rules_active()}
    specs = [
        routing.Rule(r.id, r.priority, r.code_b_prefix, r.channel, r.target, r.target_org_id)
        for r in rules_by_id.values()
    ]
    decision = routing.decide(
        specs,
        code_b=code_b,
        channel=channel,
        home_org_id=home_org.id if home_org else None,
        card_org_id=card_issuing_org.id if card_issuing_org else None,
        head_office_id=0,  # looked up below only when the default falls through to it
    )
    if decision.reason == "head_office":
        head_office = Organisation.objects.filter(kind=Organisation.Kind.HEAD_OFFICE).order_by("id").first()
        return RoutingSuggestion(head_office, None, decision.reason)
    known = {o.id: o for o in (home_org, card_issuing_org) if o is not None}
    known.update({r.target_org_id: r.target_org for r in rules_by_id.values() if r.target_org_id})
    org = known.get(decision.org_id) or Organisation.objects.get(pk=decision.org_id)
    return RoutingSuggestion(org, rules_by_id.get(decision.rule_id) if decision.rule_id else None, decision.reason)


# --- saved list views ----------------------------------------------------------------------------


def saved_views_for(user: User) -> list[SavedView]:
    """The user's own saved list views, by name (never another user's)."""
    if not user.is_authenticated:
        return []
    return list(SavedView.objects.filter(user=user).order_by("name", "id"))
