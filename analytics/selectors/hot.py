"""Hot topics across calls (issue 16): terms rising in the redacted call transcripts the report's
scope may see, judged by ``analytics.hot_terms`` (the rising-issue alerts' week model), with a
per-business-code breakdown of this week's calls that are linked to a case.

Reads the weekly per-term call counts (``HotTermCount``, kept by ``analytics.hot_counts``): no
transcript text on the read path but the recount of the few merged phrases (a substring query,
served by the transcript text's trigram index on PostgreSQL).

Scope: the recordings the user may see (``recordings.selectors.recordings_visible_to``: by org),
narrowed to the report's org subtree the way recordings belong to orgs (a linked call to its case's
responsible org, an unlinked one to the uploading org) - the counts are kept per org the same way.
Only ``text_redacted`` is counted; on calls whose segments carry a speaker, the customer's
segments only (a mono call says what it can). ``weeks_by_text_scan`` is the former read (every
call's text, in Python), kept as the reference the tests and ``bench/hot_terms.py`` compare with.
The terms are fitted once (``hot_terms.fit_family``); the merged phrases are judged against that
fit (``hot_terms.with_terms``), not by fitting every term again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, DateTimeField, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from accounts.selectors import org_ids_visible_to, visibility_key
from complaints.models import ClassificationCode
from recordings.models import CallRecording, TranscriptSegment
from recordings.selectors import recordings_visible_to

from .. import alerts, hot_counts, hot_terms
from ..models import HotTermCall, HotTermCount
from ..periods import Period
from .base import Scope, resolve_scope

MAX_TERMS = 15
MAX_CODES = 5


@dataclass(frozen=True)
class CodeShare:
    code: str
    name: str
    calls: int


@dataclass(frozen=True)
class HotRow:
    term: hot_terms.HotTerm
    codes: tuple[CodeShare, ...]  # this week's calls with the term, by the linked case's business code
    unlinked: int  # this week's calls with the term and no case


@dataclass(frozen=True)
class HotPanel:
    week: date  # Monday of the judged ISO week
    rows: tuple[HotRow, ...]
    judged: int
    calls: int
    q: float
    as_of: datetime | None = None  # when it was computed (a stored panel is served until it is too old)


def _calls(scope: Scope, first: date, last: date):
    """The scope's transcribed calls of the days ``first``..``last``: (pk, day, B code id)."""
    qs = recordings_visible_to(scope.user).filter(status=CallRecording.Status.DONE)
    if scope.org_ids is not None:
        qs = qs.filter(
            Q(complaint__responsible_org_id__in=scope.org_ids)
            | Q(complaint__isnull=True, owner_org_id__in=scope.org_ids)
        )
    return (
        qs.annotate(day=TruncDate(Coalesce("call_started_at", "created_at", output_field=DateTimeField())))
        .filter(day__range=(first, last))
        .values_list("pk", "day", F("complaint__code_b_id"))
        .order_by()
    )


def weeks_by_text_scan(scope: Scope, week: date) -> dict[date, hot_terms.WeekCounts]:
    """The former read: every call's redacted text of the 27 weeks, split into terms in Python
    (cost grows with the calls). The reference for the tests and the bench only."""
    first = week - timedelta(weeks=alerts.WEEK_BASELINE_PERIODS)
    rows = list(_calls(scope, first, week + timedelta(days=6)))
    texts = hot_counts.call_texts([pk for pk, _d, _c in rows])
    calls = ((day, hot_terms.call_terms(texts[pk])) for pk, day, _c in rows if pk in texts)
    return hot_terms.count_weeks(calls)


def _org_filter(scope: Scope) -> Q | None:
    """The orgs whose counts the scope may read (None: all)."""
    seen = org_ids_visible_to(scope.user)
    ids = scope.org_ids
    if seen is not None:
        ids = frozenset(seen) if ids is None else frozenset(ids) & frozenset(seen)
    return None if ids is None else Q(org_id__in=sorted(ids))


def _weeks_from_table(scope: Scope, week: date) -> dict[date, hot_terms.WeekCounts]:
    """Calls per week and per term of the scope's 27 weeks, from the counts: the family's terms
    only (said in at least ``MIN_SUPPORT`` calls of the 27 weeks; the others are never judged)."""
    first = week - timedelta(weeks=alerts.WEEK_BASELINE_PERIODS)
    where = Q(week__range=(first, week))
    orgs = _org_filter(scope)
    if orgs is not None:
        where &= orgs
    calls = dict(
        HotTermCall.objects.filter(where).values("week").annotate(n=Count("pk")).values_list("week", "n").order_by()
    )
    counts = HotTermCount.objects.filter(where)
    family = counts.values("term").annotate(total=Sum("calls")).filter(total__gte=hot_terms.MIN_SUPPORT).values("term")
    per: dict[date, dict[str, int]] = defaultdict(dict)
    rows = counts.filter(term__in=family).values("week", "term").annotate(n=Sum("calls")).order_by()
    for monday, term, n in rows.values_list("week", "term", "n"):
        per[monday][term] = n
    return {m: hot_terms.WeekCounts(m, n, per.get(m, {})) for m, n in calls.items() if n}


def _phrase_calls(scope: Scope, phrase: str, week: date) -> list[tuple[int, date, int | None]]:
    """The scope's calls of the 27 weeks whose redacted (customer) text says ``phrase``."""
    first = week - timedelta(weeks=alerts.WEEK_BASELINE_PERIODS)
    customer = TranscriptSegment.objects.filter(
        recording_id=OuterRef("recording_id"), speaker=TranscriptSegment.Speaker.CUSTOMER
    )
    said = TranscriptSegment.objects.filter(recording_id=OuterRef("pk"), text_redacted__contains=phrase).filter(
        Q(speaker=TranscriptSegment.Speaker.CUSTOMER) | ~Exists(customer)
    )
    return list(_calls(scope, first, week + timedelta(days=6)).filter(Exists(said)))


def _compute(scope: Scope, week: date) -> HotPanel:
    weeks = _weeks_from_table(scope, week)
    family = hot_terms.fit_family(weeks, week)
    result = hot_terms.decide(family)
    phrases = hot_terms.merge_candidates([r.term for r in result.rows])
    said: dict[str, list[tuple[int, date, int | None]]] = {}
    if phrases:
        said = {p: _phrase_calls(scope, p, week) for p in phrases}
        counts = {p: Counter(hot_terms.week_of(day) for _pk, day, _c in rows) for p, rows in said.items()}
        # the phrases judged against the terms' family (no second fit of every term)
        result = hot_terms.decide(hot_terms.with_terms(family, hot_terms.with_phrases(weeks, counts), list(said)))
    shown = result.rows[:MAX_TERMS]
    by_term: dict[str, Counter] = defaultdict(Counter)
    plain = [r.term for r in shown if r.term not in said]
    if plain:
        where = Q(week=week, term__in=plain)
        orgs = _org_filter(scope)
        if orgs is not None:
            where &= orgs
        for term, code, n in (
            HotTermCount.objects.filter(where).values("term", "code_id").annotate(n=Sum("calls")).order_by()
        ).values_list("term", "code_id", "n"):
            by_term[term][code or 0] += n
    for p, rows in said.items():
        for _pk, day, code in rows:
            if hot_terms.week_of(day) == week:
                by_term[p][code or 0] += 1
    code_ids = {c for counts in by_term.values() for c in counts if c}
    names = {c.pk: (c.code, c.name_zh) for c in ClassificationCode.objects.filter(pk__in=code_ids)}
    out = []
    for term in shown:
        per = by_term.get(term.term, Counter())
        linked = Counter({c: n for c, n in per.items() if c})
        codes = tuple(CodeShare(names[c][0], names[c][1], n) for c, n in linked.most_common(MAX_CODES))
        out.append(HotRow(term, codes, per.get(0, 0)))
    return HotPanel(week, tuple(out), result.judged, result.calls, result.q)


# --- The stored panel ---------------------------------------------------------------------
#
# The judgement of a head-office week (some 30,000 terms) takes seconds, too long for a page, and
# hot topics are a weekly statistic: the panel is served from a stored result with its "as of"
# time, in the shared cache (Redis in production; no table), for ``ANALYTICS_HOT_TERMS_MAX_AGE``
# seconds. The beat job (``analytics.hot_terms_refresh``, ``refresh_stored``) recomputes every
# panel read in the last ``WANTED_DAYS`` before it gets old, so readers do not wait; a panel
# never computed (or past its age, when the job has not run) is computed by the read, once: the
# others keep getting the stored one meanwhile (a short lock, as ``base.cached`` does).

WANTED_KEY = "analytics:hot:wanted"
WANTED_DAYS = 8
REFRESH_LOCK_SECONDS = 120


def _max_age() -> float:
    return float(settings.ANALYTICS_HOT_TERMS_MAX_AGE)


def _store_key(scope: Scope, week: date) -> str:
    """What the panel depends on (as ``base.cached``): the orgs the user may see, the report's
    orgs and the week - not the user."""
    orgs = sorted(scope.org_ids) if scope.org_ids is not None else None
    raw = repr(("hot_terms", visibility_key(scope.user), orgs, week.isoformat()))
    return "analytics:hot:" + hashlib.sha256(raw.encode()).hexdigest()


def _want(key: str, scope: Scope, week: date) -> None:
    """Remember who read this panel (one reader per key), for the beat job to keep it fresh."""
    wanted = cache.get(WANTED_KEY) or {}
    wanted[key] = (scope.user.pk, scope.org.code if scope.org else None, week.isoformat(), time.time())
    cache.set(WANTED_KEY, wanted, (WANTED_DAYS + 1) * 86400)


def refresh(scope: Scope, week: date) -> HotPanel:
    """The panel computed now and stored with its "as of" time."""
    panel = dataclasses.replace(_compute(scope, week), as_of=timezone.now())
    cache.set(_store_key(scope, week), panel, int(_max_age() * 12))
    return panel


def hot_terms_for(scope: Scope, period: Period) -> HotPanel:
    """The terms rising in the ISO week of the period's last day, in the scope's calls: the stored
    panel while it is younger than ``ANALYTICS_HOT_TERMS_MAX_AGE`` (its ``as_of`` says when it was
    computed), else computed now and stored."""
    week = hot_terms.week_of(period.end)
    key = _store_key(scope, week)
    _want(key, scope, week)
    stored = cache.get(key)
    if not isinstance(stored, HotPanel) or stored.as_of is None:
        return refresh(scope, week)
    age = (timezone.now() - stored.as_of).total_seconds()
    if age < _max_age() or not cache.add(key + ":refresh", 1, REFRESH_LOCK_SECONDS):
        return stored
    try:
        return refresh(scope, week)
    finally:
        cache.delete(key + ":refresh")


def refresh_stored() -> int:
    """Recompute every stored panel read in the last ``WANTED_DAYS`` (the beat job); forget the
    others. A reader who can no longer use the scope is skipped (and forgotten)."""
    wanted = cache.get(WANTED_KEY) or {}
    now, done, keep = time.time(), 0, {}
    for key, (user_id, org_code, week, read_at) in wanted.items():
        if now - read_at > WANTED_DAYS * 86400:
            continue
        user = User.objects.filter(pk=user_id, is_active=True).select_related("org").first()
        if user is None:
            continue
        try:
            scope = resolve_scope(user, org_code)
        except Http404:  # the org is out of the user's scope now: forget it
            continue
        if _store_key(scope, date.fromisoformat(week)) != key:
            continue  # the reader's visibility changed: the next read registers the new key
        refresh(scope, date.fromisoformat(week))
        keep[key] = (user_id, org_code, week, read_at)
        done += 1
    cache.set(WANTED_KEY, keep, (WANTED_DAYS + 1) * 86400)
    return done
