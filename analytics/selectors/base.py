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
from django.db.models import F, Q, QuerySet, Value
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
    ``conditions[i]`` selects period i's rows (None: period i has none in this tier)."""

    qs: QuerySet
    time_field: str  # "day" (daily table), "month" (monthly: first day of the month), "week" (weekly: Monday)
    conditions: tuple[Q | None, ...]


def coarse_ok(dim: Dimension | None) -> bool:
    """The monthly and weekly tiers keep B and C leaves only (no A axis, no channel)."""
    return dim is None or set(dim.axes) <= {"B", "C"}


def whole_weeks(period: Period) -> tuple[date, date] | None:
    """(first Monday, last Monday) when the period is whole ISO weeks (Monday to Sunday)."""
    if period.start.weekday() == 0 and period.end.weekday() == 6:
        return period.start, period.end - timedelta(days=6)
    return None


def tiers(
    daily: QuerySet, monthly: QuerySet | None, periods: Sequence[Period], *, weekly: QuerySet | None = None
) -> list[Tier]:
    """Split the periods between the tiers: a period of whole weeks from ``weekly`` (when
    given), whole months of the others from ``monthly`` (when given), the edge days (and
    everything, without ``monthly``) from ``daily``. Rows of the tiers add up: each day of a
    period is read from exactly one of them."""
    weeks = [whole_weeks(p) if weekly is not None else None for p in periods]
    splits = [
        TierSplit(None, ())
        if w is not None
        else split_by_month(p.start, p.end)
        if monthly is not None
        else TierSplit(None, ((p.start, p.end),))
        for p, w in zip(periods, weeks, strict=True)
    ]
    week_q = tuple(Q(week__range=w) if w is not None else None for w in weeks)
    month_q = tuple(Q(month__range=s.months) if s.months else None for s in splits)
    day_q = tuple(_any(Q(day__range=r) for r in s.days) for s in splits)
    out = []
    for base, field, conditions in ((weekly, "week", week_q), (monthly, "month", month_q), (daily, "day", day_q)):
        wanted = _any(c for c in conditions if c is not None)
        if base is not None and wanted is not None:
            out.append(Tier(base.filter(wanted), field, conditions))
    return out


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
