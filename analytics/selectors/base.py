"""Shared pieces of the analytics reads: the report scope, key expressions, names, caching.

Every report, drill-down and export starts from ``resolve_scope`` and reads through
``rollups_in`` / ``complaints_in``, which apply ``accounts.selectors`` first and only
then narrow to the chosen org subtree.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Case, F, Func, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Concat, Substr
from django.http import Http404

from accounts.models import Organisation, User
from accounts.selectors import org_visible_to, scope_to_user, sees_everything, subtree_of, visibility_key
from complaints.models import ClassificationCode, Complaint

from ..dimensions import PAIR_SEPARATOR, Dimension
from ..models import DailyRollup, MonthlyRollup, WeeklyRollup
from ..periods import Period, TierSplit, split_by_month
from ..rollup import counted_complaints, day_bounds

T = TypeVar("T")
CACHE_SECONDS = 60
# Longest a stale report is served while one request recomputes it (a recomputation that dies
# with its worker frees the lock after this long).
REFRESH_LOCK_SECONDS = 30
GENERATION_KEY = "analytics:generation"  # bumped by analytics.services on every rollup change


@dataclass(frozen=True)
class Scope:
    """Whose numbers a report shows: ``org`` and its subtree, always within the user's own scope."""

    user: User
    org: Organisation | None  # None = everything the user may see (head office: the whole bank)
    org_ids: frozenset[int] | None  # None = no org filter at all

    @property
    def code(self) -> str:
        return self.org.code if self.org else ""

    @property
    def label(self) -> str:
        return self.org.name_zh if self.org else "全行"


def resolve_scope(user: User, org_code: str | None) -> Scope:
    """The scope a user asked for. An org outside their scope (or unknown) is a 404, never a 403."""
    org: Organisation | None = None
    if org_code:
        org = Organisation.objects.filter(code=org_code).first()
        if org is None or not org_visible_to(user, org):
            raise Http404("No such organisation in your scope")  # the 404 page does not show it
    elif not sees_everything(user):
        org = user.org
        if org is None:
            raise Http404
    if org is None:
        return Scope(user, None, None)
    ids = frozenset(subtree_of(org).values_list("id", flat=True))
    return Scope(user, org, ids)


def rollups_in(scope: Scope, period: Period | None = None) -> QuerySet[DailyRollup]:
    qs = scope_to_user(DailyRollup.objects.all(), scope.user, org_field="org")
    if scope.org_ids is not None:
        qs = qs.filter(org_id__in=scope.org_ids)
    if period is not None:
        qs = qs.filter(day__range=(period.start, period.end))
    return qs.order_by()


def monthly_rollups_in(scope: Scope) -> QuerySet[MonthlyRollup]:
    qs = scope_to_user(MonthlyRollup.objects.all(), scope.user, org_field="org")
    if scope.org_ids is not None:
        qs = qs.filter(org_id__in=scope.org_ids)
    return qs.order_by()


def weekly_rollups_in(scope: Scope) -> QuerySet[WeeklyRollup]:
    qs = scope_to_user(WeeklyRollup.objects.all(), scope.user, org_field="org")
    if scope.org_ids is not None:
        qs = qs.filter(org_id__in=scope.org_ids)
    return qs.order_by()


@dataclass(frozen=True)
class Tier:
    """One rollup table's share of some periods: ``qs`` holds only rows inside them,
    ``conditions[i]`` selects period i's rows (None: period i has none in this tier).
    ``ranges`` says the same as (first, last, i): inclusive ranges of ``time_field`` values,
    each inside period i. A tier with ``sign`` -1 holds rows to subtract: the days after a
    running week's cut, when the week is read whole from the weekly tier."""

    qs: QuerySet
    time_field: str  # "day" (daily table), "month" (monthly: first day of the month), "week" (weekly: Monday)
    conditions: tuple[Q | None, ...]
    ranges: tuple[tuple[date, date, int], ...] = ()
    sign: int = 1


def coarse_ok(dim: Dimension | None) -> bool:
    """The monthly and weekly tiers keep B and C leaves only (no A axis, no channel)."""
    return dim is None or set(dim.axes) <= {"B", "C"}


def whole_weeks(period: Period) -> tuple[date, date] | None:
    """(first Monday, last Monday) when the period is whole ISO weeks (Monday to Sunday)."""
    if period.start.weekday() == 0 and period.end.weekday() == 6:
        return period.start, period.end - timedelta(days=6)
    return None


def week_cut(period: Period) -> tuple[date, date] | None:
    """The days after the end of a period that is a week cut short (Monday to a day before
    Sunday), when they are fewer than the period's own days: such a period is read as its whole
    week from the weekly tier minus these days (Monday-Thursday: three days less, not four)."""
    start, end = period.start, period.end
    if start.weekday() != 0 or end.weekday() == 6 or end - start >= timedelta(days=7):
        return None
    rest = (start + timedelta(days=6) - end).days
    return (end + timedelta(days=1), start + timedelta(days=6)) if rest < period.days else None


def tiers(
    daily: QuerySet, monthly: QuerySet | None, periods: Sequence[Period], *, weekly: QuerySet | None = None
) -> list[Tier]:
    """Split the periods between the tiers: a period of whole weeks from ``weekly`` (when
    given; a week cut short at most three days before its end too, less its last days read
    from ``daily``), whole months of the others from ``monthly`` (when given), the edge days
    (and everything, without ``monthly``) from ``daily``. Rows of the tiers add up: each day of a
    period is read from exactly one of them, or from the weekly tier and subtracted again."""
    week_ranges: list[tuple[date, date, int]] = []
    month_ranges: list[tuple[date, date, int]] = []
    day_ranges: list[tuple[date, date, int]] = []
    minus_ranges: list[tuple[date, date, int]] = []
    for i, p in enumerate(periods):
        whole = whole_weeks(p) if weekly is not None else None
        cut = week_cut(p) if weekly is not None and whole is None else None
        if whole is not None:
            week_ranges.append((*whole, i))
        elif cut is not None:
            week_ranges.append((p.start, p.start, i))
            minus_ranges.append((*cut, i))
        else:
            split = split_by_month(p.start, p.end) if monthly is not None else TierSplit(None, ((p.start, p.end),))
            if split.months:
                month_ranges.append((*split.months, i))
            day_ranges += [(first, last, i) for first, last in split.days]
    out = []
    for base, field, ranges, sign in (
        (weekly, "week", week_ranges, 1),
        (monthly, "month", month_ranges, 1),
        (daily, "day", day_ranges, 1),
        (daily, "day", minus_ranges, -1),
    ):
        if base is None or not ranges:
            continue
        conditions = tuple(
            _any(Q(**{f"{field}__range": (first, last)}) for first, last, j in ranges if j == i)
            for i in range(len(periods))
        )
        out.append(Tier(base.filter(_wanted(field, ranges)), field, conditions, tuple(ranges), sign))
    return out


# Up to this many days, the daily tier's rows are selected by a list of days (``day IN (...)``)
# rather than an OR of ranges: PostgreSQL answers a list from the covering (day, org, ...) index
# alone (index-only scan), while an OR of ranges is a bitmap scan that visits every wide row.
DAY_LIST_MAX = 400


def _wanted(field: str, ranges: Sequence[tuple[date, date, int]]) -> Q:
    """The rows of a tier inside any of the ranges."""
    if field == "day" and len(ranges) > 1:
        days = {first + timedelta(days=k) for first, last, _i in ranges for k in range((last - first).days + 1)}
        if len(days) <= DAY_LIST_MAX:
            return Q(day__in=sorted(days))
    return _any(Q(**{f"{field}__range": (first, last)}) for first, last, _i in ranges)


class _WidthBucket(Func):
    """PostgreSQL's width_bucket(value, thresholds): how many of the ascending thresholds are at
    or below the value (a binary search per row)."""

    output_field = IntegerField()

    def __init__(self, field: str, thresholds: Sequence[date]):
        super().__init__(F(field))
        self.thresholds = [t.isoformat() for t in thresholds]

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"width_bucket({sql}, %s::date[])", (*params, "{" + ",".join(self.thresholds) + "}")


def range_buckets(field: str, ranges: Sequence[tuple[date, date, int]]):
    """(expression, {bucket: i}) grouping a tier's rows by the range they fall in: the expression
    is the number of range bounds at or below the row's ``field``; bucket -> period index i.
    One grouped sum per (key, org, bucket) instead of one filtered sum per period: with 27
    periods, PostgreSQL tested 27 conditions on every row (3x slower at 1 M)."""
    firsts = {first: i for first, _last, i in ranges}
    bounds = sorted(set(firsts) | {last + timedelta(days=1) for _first, last, _i in ranges})
    index = {k: firsts[lower] for k, lower in enumerate(bounds, 1) if lower in firsts}
    if connection.vendor == "postgresql":
        return _WidthBucket(field, bounds), index
    whens = [When(**{f"{field}__lt": bound}, then=Value(k)) for k, bound in enumerate(bounds)]
    return Case(*whens, default=Value(len(bounds)), output_field=IntegerField()), index


def _any(conditions) -> Q | None:
    combined = None
    for c in conditions:
        combined = c if combined is None else combined | c
    return combined


def scope_tiers(scope: Scope, periods: Sequence[Period], dim: Dimension | None, *, coarse: bool = True) -> list[Tier]:
    """``tiers`` for a user's report scope; the monthly tier only where ``dim`` allows it."""
    monthly = monthly_rollups_in(scope) if coarse and coarse_ok(dim) else None
    return tiers(rollups_in(scope), monthly, periods)


def complaints_in(scope: Scope, period: Period | None = None) -> QuerySet[Complaint]:
    """Raw counted cases in scope (and received in the period)."""
    qs = scope_to_user(counted_complaints(), scope.user)
    if scope.org_ids is not None:
        qs = qs.filter(responsible_org_id__in=scope.org_ids)
    if period is not None:
        qs = qs.filter(received_at__gte=day_bounds(period.start)[0], received_at__lt=day_bounds(period.end)[1])
    return qs


def key_expression(dim: Dimension, *, raw: bool = False):
    """SQL for the report key: the code prefix at the chosen level (pair joined by "|")."""

    def part(axis: str):
        field = f"code_{axis.lower()}__code" if raw else f"code_{axis.lower()}"
        return Substr(F(field), 1, dim.prefix_length)

    if len(dim.axes) == 1:
        return part(dim.axes[0])
    return Concat(part("B"), Value(PAIR_SEPARATOR), part("C"))


def code_filter(dim: Dimension, key_codes: dict[str, str], *, raw: bool = True) -> dict[str, str]:
    """ORM filter kwargs selecting cases under a key (codes are prefixes by construction)."""
    return {
        (f"code_{a.lower()}__code__startswith" if raw else f"code_{a.lower()}__startswith"): c
        for a, c in key_codes.items()
    }


@lru_cache(maxsize=1)
def _code_names() -> dict[str, tuple[str, str]]:
    return {c: (zh, en) for c, zh, en in ClassificationCode.objects.values_list("code", "name_zh", "name_en")}


def code_names() -> dict[str, tuple[str, str]]:
    names = _code_names()
    if not names:  # empty in a fresh test database: do not cache the emptiness
        _code_names.cache_clear()
    return names


def key_name(key: str) -> str:
    names = code_names()
    return " × ".join(names.get(part, (part, part))[0] for part in key.split(PAIR_SEPARATOR))


def known_code(code: str) -> bool:
    return code in code_names()


@dataclass(frozen=True)
class OrgInfo:
    id: int
    code: str
    name: str
    path: str
    kind: str


def org_index() -> dict[int, OrgInfo]:
    """All organisations (a few dozen rows), for mapping rollup rows to branches."""
    return {o[0]: OrgInfo(*o) for o in Organisation.objects.values_list("id", "code", "name_zh", "path", "kind")}


def child_of(scope_org: Organisation | None, org: OrgInfo, index_by_path: dict[str, OrgInfo]) -> OrgInfo | None:
    """The row an org's numbers go to in a per-org table: the scope's direct child containing
    it, or the scope org itself for its own cases. At "all", the children of head office."""
    parts = [p for p in org.path.split("/") if p]
    base_depth = len([p for p in scope_org.path.split("/") if p]) if scope_org else 1
    if len(parts) <= base_depth:
        return index_by_path.get("/".join(parts[:base_depth]) + "/")
    return index_by_path.get("/".join(parts[: base_depth + 1]) + "/")


def branch_of(org: OrgInfo, index_by_path: dict[str, OrgInfo]) -> OrgInfo:
    """The branch (second level) an org belongs to; head office stays head office."""
    parts = [p for p in org.path.split("/") if p]
    return index_by_path.get("/".join(parts[:2]) + "/", org)


def cached(name: str, scope: Scope, params: tuple, compute: Callable[[], T]) -> T:
    """A report, computed once for everyone who would get the same numbers.

    The key is what the numbers depend on — the orgs the user may see, the report scope and the
    params — not the user, so the head office's officers share one computation. A value is fresh
    while the rollup generation it was computed at is current; after a rollup change (every
    registration bumps it within seconds) it is still served for ``ANALYTICS_STALE_SECONDS``
    from when it was computed, so a busy intake does not make every TOP page recompute.

    Past that window one request recomputes while the others keep getting the stale value (a
    short lock in the cache, ``REFRESH_LOCK_SECONDS``): when the window ends, every web worker
    that asks for the report in the same moment would otherwise recompute the same numbers at
    once. Only a request with nothing cached at all computes without waiting for anyone.
    """
    generation = cache.get(GENERATION_KEY, 0)
    raw = repr((name, visibility_key(scope.user),
                sorted(scope.org_ids) if scope.org_ids is not None else None, params))  # fmt: skip
    key = "analytics:" + hashlib.sha256(raw.encode()).hexdigest()
    hit: Any = cache.get(key)
    now = time.time()
    refreshing = False
    if isinstance(hit, tuple) and len(hit) == 3:
        hit_generation, computed_at, value = hit
        if hit_generation == generation or now - computed_at < settings.ANALYTICS_STALE_SECONDS:
            return value
        # Stale: the first to take the lock recomputes; the rest serve what is there meanwhile.
        if not cache.add(key + ":refresh", 1, REFRESH_LOCK_SECONDS):
            return value
        refreshing = True
    try:
        value = compute()
        cache.set(key, (generation, now, value), CACHE_SECONDS)
    finally:
        if refreshing:
            cache.delete(key + ":refresh")
    return value
