"""Hot topics across all calls: terms rising in call transcripts. Pure (no Django).

What customers say before it becomes a complaint. Each call's redacted transcript gives a *set*
of terms (a call counts once per term, however often it says it):

- **Chinese**: character bigrams and trigrams of each run of Chinese characters (no word
  segmenter: a phrase of interest, 信用卡年费 or 手机银行闪退, shows as its bigrams and
  trigrams); n-grams made only of function characters, or starting or ending with one, and a
  short list of conversational bigrams are left out.
- **English**: lower-case words of three or more letters minus stop words, and pairs of such
  words that stand next to each other.
- **Masked PII never becomes a term**: the labels redaction writes (``[卡号已隐去]``,
  ``[card number removed]``, anything in square brackets), runs of ``*``, every digit and every
  run of two or more Chinese numerals (幺三八 read out) are cut out before the text is split,
  and a run is broken where they were (a mask between two words does not join them into a
  term); English number words are never terms. No term holds a number.
- **Phrases** (``merge_candidates``): rising n-grams that overlap (手机银 / 机银行 / 行闪退) are
  chained into the phrase they come from (手机银行闪退); the caller recounts the phrase's own
  calls per week (``with_phrases``) and judges it against the terms' fit (``with_terms``), and a
  rising phrase hides the pieces most of whose calls it explains (``MERGE_SHARE``).

Judging (``judge``): one series per term, counted per ISO week (calls that contain it), with the
rising-issue alerts' model and decision (``analytics.alerts``: expected count from 26 prior
weeks, over-dispersion, Benjamini-Hochberg at the week views' q, the sustained-rise test). A
week's *exposure* is the number of calls transcribed that week, so a busier week expects
more calls mentioning anything, and a term is rising only when its share of calls rises. Weeks
without calls are absent (exposure 0), not zero. The family is every term that reaches
``min_support`` calls over the whole half year plus the current week; a rising term must also
be said in at least ``min_count`` calls of the current week. What the judgement leaves out, and
why the decision stays the full fit's, is noted above ``Family``.
"""

from __future__ import annotations

import dataclasses
import re
from collections import ChainMap, Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from . import alerts

MIN_SUPPORT = 5  # calls over the whole window for a term to be judged at all
MIN_COUNT = 5  # calls of the current week for a term to be rising
MIN_RATIO = 1.5
MERGE_SHARE = 0.5  # a piece is shown inside its phrase when the phrase is in at least this share of its calls

# Masks and numbers: cut out (and break the run) before splitting into terms.
_MASKS = re.compile(
    r"\[[^\]]*\]|【[^】]*】|［[^］]*］|[*＊]+|[0-9０-９]+|[零〇一二三四五六七八九十百千万幺两]{2,}|<[^>]*>"
)
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_EN_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")

# Characters that carry no topic on their own (an n-gram made only of them, or starting or
# ending with one, is not a term).
_FUNCTION_CHARS = set("的了吗呢啊吧呀哦嗯哈是我你您他她它们在有和也就都这那个么还又很太把被给对跟与就要会能说")
_STOP_BIGRAMS = {
    "你好", "您好", "谢谢", "请问", "什么", "怎么", "为什么", "可以", "没有", "不是", "就是", "一个",
    "一下", "现在", "已经", "然后", "因为", "所以", "如果", "但是", "知道", "时候", "先生", "女士",
    "好的", "不好", "问题", "一点", "这样", "那样", "不用", "不要", "需要", "帮您", "稍等",
}  # fmt: skip
_EN_STOP_WORDS = """the and for are but not you your yours all any can had her was one our out has have him his how man new
    now old see two way who its did get got let say she too use that this with from they them then than there
    their what when where which while will would could should shall about above after again also been before
    being below between both each few more most other over same some such only own into just very don does
    doing off once here hers herself himself itself myself ours ourselves themselves yourself yourselves why
    because until against through during under further those these were am is be do if or as at by of on to
    up in it me my we an a no so i hello hi yes okay ok please thank thanks sir madam calling call want
    like know think going yeah well right sure im ive dont cant wont isnt didnt
    zero three four five six seven eight nine ten eleven twelve hundred thousand million double triple"""
_EN_STOP = set(_EN_STOP_WORDS.split())


def _pieces(text: str) -> list[str]:
    """The text with masks and numbers cut out: the stretches between them."""
    return _MASKS.split(text or "")


def _han_terms(run: str) -> set[str]:
    out: set[str] = set()
    for n in (2, 3):
        for i in range(len(run) - n + 1):
            gram = run[i : i + n]
            if gram[0] in _FUNCTION_CHARS or gram[-1] in _FUNCTION_CHARS:
                continue
            if gram in _STOP_BIGRAMS or any(gram[j : j + 2] in _STOP_BIGRAMS for j in range(n - 1)):
                continue
            out.add(gram)
    return out


def _en_terms(piece: str) -> set[str]:
    out: set[str] = set()
    # sentence punctuation breaks a phrase as a mask does
    for clause in re.split(r"[.,;:!?，。；：！？]", piece):
        words = [w.lower().replace("'", "") for w in _EN_WORD.findall(clause)]
        kept: list[str | None] = [w if len(w) >= 3 and w not in _EN_STOP else None for w in words]
        for i, w in enumerate(kept):
            if w is None:
                continue
            out.add(w)
            if i + 1 < len(kept) and kept[i + 1] is not None:
                out.add(f"{w} {kept[i + 1]}")
    return out


def terms(text: str) -> set[str]:
    """The terms of one text (see the module's description); masked PII and digits never."""
    out: set[str] = set()
    for piece in _pieces(text):
        for run in _HAN_RUN.findall(piece):
            out |= _han_terms(run)
        out |= _en_terms(_HAN_RUN.sub(" . ", piece))
    return out


def call_terms(texts: Iterable[str]) -> set[str]:
    """The terms of one call from its segments' texts (each segment split on its own, so a
    term never spans two segments)."""
    out: set[str] = set()
    for text in texts:
        out |= terms(text)
    return out


def week_of(day: date) -> date:
    """The Monday of the ISO week of ``day``."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class WeekCounts:
    """One ISO week: how many calls, and in how many of them each term was said."""

    monday: date
    calls: int
    terms: Mapping[str, int]


def count_weeks(calls: Iterable[tuple[date, set[str]]]) -> dict[date, WeekCounts]:
    """Calls (day, its terms) counted per ISO week: documents, not occurrences."""
    n: Counter[date] = Counter()
    per: dict[date, Counter[str]] = {}
    for day, found in calls:
        monday = week_of(day)
        n[monday] += 1
        per.setdefault(monday, Counter()).update(found)
    return {m: WeekCounts(m, n[m], per[m]) for m in n}


@dataclass(frozen=True)
class HotTerm:
    term: str
    current: int  # calls of the judged window containing it (this week; with span > 1 the window's sum)
    week_count: int  # calls of the current week alone
    expected: float
    lower: int
    upper: int
    ratio: float | None
    q_value: float
    span: int
    history: tuple[int, ...]  # calls per usable baseline week, oldest first


@dataclass(frozen=True)
class HotResult:
    rows: tuple[HotTerm, ...]
    judged: int  # terms judged (the family)
    calls: int  # calls of the current week
    q: float


# --- The judgement ----------------------------------------------------------------------
#
# ``judge`` decides exactly what ``judge_full`` decides (the tests and bench/hot_terms.py check it),
# at a fraction of the cost, because it does only the work the decision can see:
#
# - **A term not said this week is not fitted.** Its p-value is P(X >= 0) = 1 and its ratio 0 for
#   any fitted expectation, so it is never rising (one week or sustained: both need a ratio above
#   1) and its p-value of 1 is what the full fit gives. It stays in the family with that p-value:
#   the Benjamini-Hochberg family size is the number of judged terms either way, never the number
#   fitted (a family cut down by the outcome would let more through). Its history and the baseline
#   weeks left out as outbreaks are still worked out (``history_only``): the pooled over-dispersion
#   of the sustained test reads them.
# - **The expected count's interval** (two quantile walks) is worked out for the rows shown only.
# - **Baseline weeks** are shared between terms with the same count in the same week (a window is
#   immutable; within one term every week is a different object, as ``alerts.assess`` needs).
# - **Merged phrases are judged against the family** (``with_terms``): at the family's pooled
#   over-dispersion (alpha, a nuisance estimate over some 30,000 terms that one phrase barely moves)
#   and in the same Benjamini-Hochberg family, instead of fitting every term a second time.
#   ``judge_full`` of the weeks with the phrases pools alpha over the phrases too: q-values may
#   differ from it in the last digits (bench: identical rows).


@dataclass(frozen=True)
class Family:
    """A week's family of terms, fitted once: ``decide`` gives its rising rows, ``with_terms``
    adds the merged phrases without fitting the terms again."""

    week: date
    calls: int  # calls of the judged week (0: nothing to judge)
    terms: tuple[str, ...]  # sorted
    series: tuple[alerts.Series, ...]
    assessed: tuple[alerts.Assessment, ...]  # one week (no interval)
    sustained: tuple[alerts.Assessment, ...]  # the rise that lasts (alerts.assess_sustained)
    alpha: float  # pooled over-dispersion of the one-week fits
    alpha_sustained: float  # ... and of the sustained test (pooled over the one-week assessments)
    min_support: int
    min_count: int
    baseline: int


def _window_maker(weeks: Mapping[date, WeekCounts], mondays: Sequence[date]):
    """(i, count) -> the i-th baseline week's Window with that count, one object per pair."""
    made: dict[tuple[int, int], alerts.Window] = {}
    spans = [(m.isoformat(), m, m + timedelta(days=6), float(weeks[m].calls) if m in weeks else 0.0) for m in mondays]

    def window(i: int, count: int) -> alerts.Window:
        w = made.get((i, count))
        if w is None:
            label, start, end, exposure = spans[i]
            w = made[(i, count)] = alerts.Window(label, start, end, count, exposure)
        return w

    return window


def _series_of(weeks: Mapping[date, WeekCounts], current: date, terms: Sequence[str], baseline: int):
    mondays = [current - timedelta(weeks=baseline - i) for i in range(baseline)]
    now = weeks[current]
    first = min((m for m in mondays if m in weeks and weeks[m].calls > 0), default=current)
    window = _window_maker(weeks, mondays)
    per_week = [weeks[m].terms if m in weeks else {} for m in mondays]
    return [
        alerts.Series(
            now.terms.get(t, 0),
            float(now.calls),
            [window(i, counts.get(t, 0)) for i, counts in enumerate(per_week)],
            first,
            current,
        )
        for t in terms
    ]


def _assess_one(s: alerts.Series, alpha: float, **options) -> alerts.Assessment:
    return alerts.assess(
        s.current,
        s.current_exposure,
        s.baseline,
        series_start=s.series_start,
        period_start=s.period_start,
        alpha=alpha,
        **options,
    )


def _assess(series: Sequence[alerts.Series], alpha: float) -> list[alerts.Assessment]:
    """``alerts.assess`` of each series at ``alpha``, without the interval; a series with no call
    this week only up to its history (see the notes above): p-value 1, ratio 0."""
    out = []
    for s in series:
        if s.current == 0:
            a = _assess_one(s, alpha, history_only=True)
            out.append(dataclasses.replace(a, p_value=1.0, ratio=0.0) if a.judged else a)
        else:
            out.append(_assess_one(s, alpha, interval=False))
    return out


def _family_of(weeks: Mapping[date, WeekCounts], current: date, min_support: int, baseline: int) -> list[str]:
    totals: Counter[str] = Counter()
    for m in [*(current - timedelta(weeks=baseline - i) for i in range(baseline)), current]:
        if m in weeks:
            totals.update(weeks[m].terms)
    return sorted(t for t, n in totals.items() if n >= min_support)


def fit_family(
    weeks: Mapping[date, WeekCounts],
    current: date,
    *,
    min_support: int = MIN_SUPPORT,
    min_count: int = MIN_COUNT,
    baseline: int = alerts.WEEK_BASELINE_PERIODS,
) -> Family:
    """Every term said in at least ``min_support`` calls of the ``baseline`` weeks and the ISO week
    starting ``current`` (a Monday), assessed as ``alerts.assess_family`` and
    ``alerts.assess_sustained`` assess them (the same pooled alpha: ``alerts.pooled_alpha`` of
    every term's history at alpha 0)."""
    now = weeks.get(current)
    if now is None or now.calls == 0:
        return Family(current, 0, (), (), (), (), 0.0, 0.0, min_support, min_count, baseline)
    terms = _family_of(weeks, current, min_support, baseline)
    series = _series_of(weeks, current, terms, baseline)
    alpha = alerts.pooled_alpha([_assess_one(s, 0.0, history_only=True) for s in series])
    assessed = _assess(series, alpha)
    alpha_sustained = alerts.pooled_alpha(assessed)
    sustained = alerts.assess_sustained(series, assessed, min_count=min_count, alpha=alpha_sustained)
    return Family(
        current, now.calls, tuple(terms), tuple(series), tuple(assessed), tuple(sustained),
        alpha, alpha_sustained, min_support, min_count, baseline,
    )  # fmt: skip


def with_terms(family: Family, weeks: Mapping[date, WeekCounts], terms: Sequence[str]) -> Family:
    """The family with ``terms`` (the merged phrases, recounted: ``with_phrases``) judged against
    it: at its pooled alphas, in its Benjamini-Hochberg family (a phrase that is already a term
    replaces it, as ``with_phrases`` does; one said in fewer than ``min_support`` calls is not
    judged). Only the phrases are fitted."""
    if family.calls == 0:
        return family
    mondays = [family.week - timedelta(weeks=family.baseline - i) for i in range(family.baseline + 1)]
    new = sorted(
        t for t in set(terms) if sum(weeks[m].terms.get(t, 0) for m in mondays if m in weeks) >= family.min_support
    )
    if not new:
        return family
    series = _series_of(weeks, family.week, new, family.baseline)
    assessed = _assess(series, family.alpha)
    sustained = alerts.assess_sustained(series, assessed, min_count=family.min_count, alpha=family.alpha_sustained)
    merged = dict(zip(family.terms, zip(family.series, family.assessed, family.sustained, strict=True), strict=True))
    merged.update(zip(new, zip(series, assessed, sustained, strict=True), strict=True))
    order = sorted(merged)
    return dataclasses.replace(
        family,
        terms=tuple(order),
        series=tuple(merged[t][0] for t in order),
        assessed=tuple(merged[t][1] for t in order),
        sustained=tuple(merged[t][2] for t in order),
    )


def decide(
    family: Family, *, min_ratio: float = MIN_RATIO, q: float | None = None, q_sustained: float | None = None
) -> HotResult:
    """The family's rising terms, decided as ``judge_full`` decides them (``decide_sustained``
    over every judged term), longest first where one contains another."""
    q = alerts.fdr_q("week", 7) if q is None else q
    q_sustained = alerts.SUSTAINED_FDR_Q if q_sustained is None else q_sustained
    if not family.series:
        return HotResult((), 0, family.calls, q)
    min_count = family.min_count
    decisions = alerts.decide_sustained(
        family.assessed, family.sustained, q=q, q_sustained=q_sustained, min_count=min_count, min_ratio=min_ratio
    )
    rows: list[HotTerm] = []
    for term, s, d, one in zip(family.terms, family.series, decisions, family.assessed, strict=True):
        a = d.assessment
        if not (d.rising and a.judged and one.current >= min_count):
            continue
        if a is one:  # the one-week fit, now with its interval
            a = _assess_one(s, family.alpha)
        rows.append(_hot_term(term, a, d, one))
    return _result(rows, family.assessed, family.calls, q)


def judge(
    weeks: Mapping[date, WeekCounts],
    current: date,
    *,
    min_support: int = MIN_SUPPORT,
    min_count: int = MIN_COUNT,
    min_ratio: float = MIN_RATIO,
    q: float | None = None,
    q_sustained: float | None = None,
    baseline: int = alerts.WEEK_BASELINE_PERIODS,
) -> HotResult:
    """The terms rising in the ISO week starting ``current`` (a Monday) against the ``baseline``
    weeks before it, decided as the rising-issue alerts decide a week view. Fails closed: a term
    without enough weeks of calls behind it is not judged and never rising."""
    family = fit_family(weeks, current, min_support=min_support, min_count=min_count, baseline=baseline)
    return decide(family, min_ratio=min_ratio, q=q, q_sustained=q_sustained)


def judge_full(
    weeks: Mapping[date, WeekCounts],
    current: date,
    *,
    min_support: int = MIN_SUPPORT,
    min_count: int = MIN_COUNT,
    min_ratio: float = MIN_RATIO,
    q: float | None = None,
    q_sustained: float | None = None,
    baseline: int = alerts.WEEK_BASELINE_PERIODS,
) -> HotResult:
    """The reference judgement (the former ``judge``): every term of the family fitted in full,
    intervals included, by ``alerts.assess_family``. ``judge`` gives the same result; the tests and
    ``bench/hot_terms.py`` compare the two."""
    q = alerts.fdr_q("week", 7) if q is None else q
    q_sustained = alerts.SUSTAINED_FDR_Q if q_sustained is None else q_sustained
    mondays = [current - timedelta(weeks=baseline - i) for i in range(baseline)]
    now = weeks.get(current)
    if now is None or now.calls == 0:
        return HotResult((), 0, 0, q)
    totals: Counter[str] = Counter()
    for m in [*mondays, current]:
        if m in weeks:
            totals.update(weeks[m].terms)
    family = sorted(t for t, n in totals.items() if n >= min_support)
    first = min((m for m in mondays if m in weeks and weeks[m].calls > 0), default=current)
    inputs: list[alerts.Series] = []
    for term in family:
        windows = [
            alerts.Window(
                m.isoformat(),
                m,
                m + timedelta(days=6),
                weeks[m].terms.get(term, 0) if m in weeks else 0,
                float(weeks[m].calls) if m in weeks else 0.0,
            )
            for m in mondays
        ]
        inputs.append(alerts.Series(now.terms.get(term, 0), float(now.calls), windows, first, current))
    if not inputs:
        return HotResult((), 0, now.calls, q)
    assessed = alerts.assess_family(inputs)
    sustained = alerts.assess_sustained(inputs, assessed, min_count=min_count)
    decisions = alerts.decide_sustained(
        assessed, sustained, q=q, q_sustained=q_sustained, min_count=min_count, min_ratio=min_ratio
    )
    rows: list[HotTerm] = []
    for term, d, one in zip(family, decisions, assessed, strict=True):
        a = d.assessment
        if not (d.rising and a.judged and one.current >= min_count):
            continue
        rows.append(_hot_term(term, a, d, one))
    return _result(rows, assessed, now.calls, q)


def _hot_term(term: str, a: alerts.Assessment, d: alerts.Decision, one: alerts.Assessment) -> HotTerm:
    """A rising term's row: ``a`` its assessment with the interval, ``d`` its decision, ``one`` the
    one-week assessment whose count is the week's."""
    return HotTerm(
        term=term,
        current=a.current,
        week_count=one.current,
        expected=a.expected or 0.0,
        lower=a.lower or 0,
        upper=a.upper or 0,
        ratio=a.ratio,
        q_value=d.q_value if d.q_value is not None else 1.0,
        span=a.span,
        history=tuple(w.count for w in a.history),
    )


def _result(rows: list[HotTerm], assessed: Sequence[alerts.Assessment], calls: int, q: float) -> HotResult:
    """The panel: contained terms dropped, strongest first, with the number of terms judged."""
    rows = _drop_contained(rows)
    rows.sort(key=lambda r: (r.q_value, -r.week_count, r.term))
    return HotResult(tuple(rows), sum(1 for a in assessed if a.judged), calls, q)


def _drop_contained(rows: Sequence[HotTerm]) -> list[HotTerm]:
    """A rising term inside a longer rising one (a bigram in its trigram, a piece in its phrase)
    that is said in at least ``MERGE_SHARE`` of the piece's calls this week is the same topic:
    only the longer one is shown."""
    out = []
    for r in rows:
        if any(
            o is not r and len(o.term) > len(r.term) and r.term in o.term and o.week_count >= MERGE_SHARE * r.week_count
            for o in rows
        ):
            continue
        out.append(r)
    return out


def _is_han(term: str) -> bool:
    return bool(term) and _HAN_RUN.fullmatch(term) is not None


def _overlap(a: str, b: str) -> int:
    """The most characters (at least one, fewer than the shorter has) that end ``a`` and start
    ``b``; 0 when none do. A join that nobody says is weeded out by the phrase's recount."""
    for k in range(min(len(a), len(b)) - 1, 0, -1):
        if a[-k:] == b[:k]:
            return k
    return 0


def merge_candidates(found: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Phrases made by chaining overlapping Chinese terms (手机银 + 机银行 + 行闪退 + 闪退 ->
    手机银行闪退), each with the terms it is made of; only phrases longer than any of their pieces.
    Whether the phrase is really said is for its recounted calls to tell."""
    pieces = sorted({t for t in found if _is_han(t)}, key=lambda t: (-len(t), t))
    # drop terms contained in a longer one: they join nothing the longer one does not
    cores = [t for t in pieces if not any(len(o) > len(t) and t in o for o in pieces)]
    chains: list[str] = []
    left = set(cores)
    while left:
        phrase = min(left)
        left.discard(phrase)
        grown = True
        while grown:
            grown = False
            for t in sorted(left):
                if k := _overlap(phrase, t):
                    phrase = phrase + t[k:]
                elif k := _overlap(t, phrase):
                    phrase = t + phrase[k:]
                else:
                    continue
                left.discard(t)
                grown = True
        chains.append(phrase)
    out: dict[str, tuple[str, ...]] = {}
    for phrase in chains:
        members = tuple(t for t in pieces if t in phrase)
        if len(phrase) > max(len(t) for t in members):
            out[phrase] = members
    return out


def with_phrases(weeks: Mapping[date, WeekCounts], counts: Mapping[str, Mapping[date, int]]) -> dict[date, WeekCounts]:
    """The weeks with each phrase's recounted calls per week added as a term of its own."""
    out: dict[date, WeekCounts] = {}
    for monday, wk in weeks.items():
        extra = {p: c[monday] for p, c in counts.items() if c.get(monday)}
        out[monday] = WeekCounts(monday, wk.calls, ChainMap(extra, wk.terms) if extra else wk.terms)
    return out
