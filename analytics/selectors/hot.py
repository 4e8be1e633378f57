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

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, DateTimeField, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import Coalesce, TruncDate

from accounts.selectors import org_ids_visible_to
from complaints.models import ClassificationCode
from recordings.models import CallRecording, TranscriptSegment
from recordings.selectors import recordings_visible_to

from .. import alerts, hot_counts, hot_terms
from ..models import HotTermCall, HotTermCount
from ..periods import Period
from .base import Scope, cached

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


def hot_terms_for(scope: Scope, period: Period) -> HotPanel:
    """The terms rising in the ISO week of the period's last day, in the scope's calls (cached
    like the other reports; transcripts do not bump the rollup generation, so a new call shows
    after ``ANALYTICS_STALE_SECONDS``)."""
    week = hot_terms.week_of(period.end)
    return cached("hot_terms", scope, (week,), lambda: _compute(scope, week))
