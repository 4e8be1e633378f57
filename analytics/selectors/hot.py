"""Hot topics across calls (issue 16): terms rising in the redacted call transcripts the report's
scope may see, judged by ``analytics.hot_terms`` (the rising-issue alerts' week model), with a
per-business-code breakdown of this week's calls that are linked to a case.

Scope: the recordings the user may see (``recordings.selectors.recordings_visible_to``), narrowed
to the report's org subtree the way recordings belong to orgs (a linked call to its case's
responsible org, an unlinked one to the uploading org). Only ``text_redacted`` is read; on calls
whose segments carry a speaker, the customer's segments only (a mono call says what it can).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import DateTimeField, F, Q
from django.db.models.functions import Coalesce, TruncDate

from complaints.models import ClassificationCode
from recordings.models import CallRecording, TranscriptSegment
from recordings.selectors import recordings_visible_to

from .. import alerts, hot_terms
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


def _texts(ids: list[int]) -> dict[int, list[str]]:
    """Redacted texts per call; the customer's only where a call has speaker labels."""
    per: dict[int, list[tuple[str, str]]] = defaultdict(list)
    fields = {f.name for f in TranscriptSegment._meta.get_fields()}
    has_speaker = "speaker" in fields
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        cols = ["recording_id", "text_redacted", *(["speaker"] if has_speaker else [])]
        for row in TranscriptSegment.objects.filter(recording_id__in=chunk).order_by().values_list(*cols):
            per[row[0]].append((row[1], row[2] if has_speaker else ""))
    out: dict[int, list[str]] = {}
    for rid, segs in per.items():
        customer = [t for t, s in segs if s == "customer"]
        out[rid] = customer or [t for t, _s in segs]
    return out


def _compute(scope: Scope, week: date) -> HotPanel:
    first = week - timedelta(weeks=alerts.WEEK_BASELINE_PERIODS)
    rows = list(_calls(scope, first, week + timedelta(days=6)))
    texts = _texts([pk for pk, _d, _c in rows])
    found = {pk: hot_terms.call_terms(texts.get(pk, [])) for pk, _d, _c in rows}
    weeks = hot_terms.count_weeks((day, found[pk]) for pk, day, _c in rows)
    result = hot_terms.judge(weeks, week)
    shown = result.rows[:MAX_TERMS]
    this_week = [(pk, code) for pk, day, code in rows if hot_terms.week_of(day) == week]
    code_ids = {c for _pk, c in this_week if c is not None}
    names = {c.pk: (c.code, c.name_zh) for c in ClassificationCode.objects.filter(pk__in=code_ids)}
    out = []
    for term in shown:
        by_code: Counter[int] = Counter()
        unlinked = 0
        for pk, code in this_week:
            if term.term in found[pk]:
                if code is None:
                    unlinked += 1
                else:
                    by_code[code] += 1
        codes = tuple(CodeShare(names[c][0], names[c][1], n) for c, n in by_code.most_common(MAX_CODES))
        out.append(HotRow(term, codes, unlinked))
    return HotPanel(week, tuple(out), result.judged, result.calls, result.q)


def hot_terms_for(scope: Scope, period: Period) -> HotPanel:
    """The terms rising in the ISO week of the period's last day, in the scope's calls (cached
    like the other reports; transcripts do not bump the rollup generation, so a new call shows
    after ``ANALYTICS_STALE_SECONDS``)."""
    week = hot_terms.week_of(period.end)
    return cached("hot_terms", scope, (week,), lambda: _compute(scope, week))
