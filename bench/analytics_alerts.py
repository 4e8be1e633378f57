"""Rising-issue alerts on synthetic daily series with known truth (not a test; pure Python + numpy).

    .venv/bin/python bench/analytics_alerts.py [--series 300] [--banks 3] [--seed 20261207]

A "bank" is a set of code x branch series, judged together as the TOP page judges them
(one report = one family for the false-discovery control). Each series has daily counts with
a weekday shape (quiet weekends), over-dispersion (day-level and week-level gamma noise), a
slow trend for some, and a start part-way for others (the system itself went live on
``ORIGIN``, so quarters before it hold no data). Spikes x1.5, x2, x3 are injected with known
onset. Both methods see exactly the same counts in the same run:

- **old**: ``analytics.ranking.rising_issues`` as the page used it: 8 like-for-like
  baseline periods, zeros before any data, one-sided Poisson, alpha 0.01 per series,
  at least 10 cases and x1.5;
- **today**: ``analytics.alerts.assess_family`` + ``decide`` (history that exists, weekday
  exposure, quasi-Poisson / negative binomial with the family's pooled dispersion, rising
  trend, Benjamini-Hochberg over all series of the report) against ``alerts.baseline_periods``
  like-for-like periods at ``alerts.fdr_q`` (week views: 26 weeks at ``WEEK_FDR_Q``), as the page
  decided until this change;
- **new**: week views add the sustained-rise test (``alerts.assess_sustained`` +
  ``decide_sustained``: the current period with the 1-3 periods before it, Simes across spans,
  BH at ``SUSTAINED_FDR_Q``); other views as today.

Reported: false alerts per 100 series-periods on spike-free banks (week, month and quarter
views; whole and running periods; also by kind of series: weekday-shaped only, over-dispersed,
trends, late starters), detection rate per multiplier and expected count of a period spiked
throughout, and for a rise that lasts (from a Monday, 28 days) the share found within 7, 14
and 28 days and the detection delay in days (checked every day on the "last 7 days", "week to
date" and "month to date" views). Writes bench/results/analytics-alerts-<today>.md
(``--out`` for another name).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics import alerts  # noqa: E402
from analytics.periods import (  # noqa: E402
    Period,
    custom_period,
    period_containing,
    period_to_date,
    preceding_periods,
)
from analytics.ranking import rising_issues  # noqa: E402

ORIGIN = date(2024, 6, 3)  # go-live (a Monday): day index 0
LAST = date(2026, 12, 31)
N_DAYS = (LAST - ORIGIN).days + 1
WEEKDAY_SHAPE = np.array([1.25, 1.15, 1.1, 1.1, 1.05, 0.75, 0.6])
WEEKDAY_SHAPE = WEEKDAY_SHAPE / WEEKDAY_SHAPE.mean()
BASELINE_PERIODS = alerts.BASELINE_PERIODS  # what the page compared every view with until 2026-12-07
OLD = {"min_count": 10, "alpha": 0.01, "min_ratio": 1.5}
NEW = {"min_count": 10, "min_ratio": 1.3}
# week views: today's one-week test at other q, and the new union at other sustained q
SENSITIVITY = (("one", 0.1), ("one", 0.2), ("one", 0.3), ("sus", 0.05), ("sus", 0.1), ("sus", 0.2))
MULTIPLIERS = (1.5, 2.0, 3.0)
DELAY_DAYS = 28
# whole periods spiked from their first day, for the detection table (three weeks: the week
# view's x2 >= 10 bin held only ~20 series with one)
DETECT_ANCHORS = (
    ("week", date(2026, 10, 19)),
    ("week", date(2026, 11, 16)),
    ("week", date(2026, 12, 7)),
    ("month", date(2026, 10, 1)),
)


def idx(d: date) -> int:
    return (d - ORIGIN).days


@dataclass
class Bank:
    mean: np.ndarray  # (S, N_DAYS) true daily means (no spike)
    counts: np.ndarray  # (S, N_DAYS) observed counts
    start: np.ndarray  # (S,) first day index with data for the series (true start)
    kinds: dict  # {kind of series: (S,) bool} for the false-alert breakdown


def make_bank(rng: np.random.Generator, n: int) -> Bank:
    days = np.arange(N_DAYS)
    weekday = (ORIGIN.weekday() + days) % 7
    base = np.exp(rng.uniform(np.log(0.05), np.log(8.0), n))  # cases per day
    shape = WEEKDAY_SHAPE[None, :] * np.exp(rng.normal(0, 0.1, (n, 7)))
    shape = shape / shape.mean(axis=1, keepdims=True)
    slope = np.where(rng.random(n) < 0.3, rng.uniform(-0.4, 0.4, n), 0.0)  # log change per year
    trend = np.exp(slope[:, None] * (days[None, :] - N_DAYS) / 365.0)
    mean = base[:, None] * shape[:, weekday] * trend
    # over-dispersion: a week-level and a day-level gamma factor (mean 1)
    k_week = rng.choice([15.0, 40.0, 200.0], n)
    k_day = rng.choice([3.0, 10.0, 50.0], n)
    weeks = days // 7
    week_noise = rng.gamma(k_week[:, None], 1.0 / k_week[:, None], (n, weeks.max() + 1))[:, weeks]
    day_noise = rng.gamma(k_day[:, None], 1.0 / k_day[:, None], (n, N_DAYS))
    start = np.where(rng.random(n) < 0.3, rng.integers(0, N_DAYS - 20, n), 0)
    alive = days[None, :] >= start[:, None]
    mean = mean * alive
    counts = rng.poisson(mean * week_noise * day_noise)
    kinds = {
        "weekday shape only (no trend, late start or heavy noise)": (slope == 0)
        & (start == 0)
        & (k_week == 200.0)
        & (k_day == 50.0),
        "over-dispersed (week shape 15 or day shape 3)": (k_week == 15.0) | (k_day == 3.0),
        "very over-dispersed (week 15 and day 3)": (k_week == 15.0) & (k_day == 3.0),
        "slow trend": slope != 0,
        "late starter": start > 0,
    }
    return Bank(mean, counts, start, kinds)


def with_spike(rng, bank: Bank, rows: np.ndarray, multipliers: np.ndarray, onset: int, length: int) -> np.ndarray:
    """Counts with the given series multiplied from ``onset`` for ``length`` days (extra cases
    drawn on top of the observed ones, so the spike rides on the same noise)."""
    counts = bank.counts.copy()
    end = min(N_DAYS, onset + length)
    extra = rng.poisson((multipliers[:, None] - 1.0) * bank.mean[rows, onset:end] * 1.0)
    counts[rows, onset:end] += extra
    return counts


def window_counts(cum: np.ndarray, p: Period) -> np.ndarray:
    a, b = max(idx(p.start), 0), idx(p.end) + 1
    if b <= 0:
        return np.zeros(cum.shape[0], dtype=np.int64)
    return cum[:, b] - cum[:, a]


def _assess(counts, cum, period: Period, today: date, n_base: int, first: np.ndarray) -> tuple[list, list, list]:
    """(rows, series, assessments) of the model for every series the page would list (a case on or
    before today), against ``n_base`` like-for-like periods."""
    base = preceding_periods(period, n_base)
    current = window_counts(cum, period)
    history = np.stack([window_counts(cum, p) for p in base], axis=1)
    seen = cum[:, idx(today) + 1] > 0
    # weekday weights from the whole bank's last 8 weeks before the period
    lo, hi = max(idx(period.start) - 56, 0), idx(period.start)
    totals, ndays = [0.0] * 7, [0] * 7
    if hi > lo:
        per_day = counts[:, lo:hi].sum(axis=0)
        for j, v in enumerate(per_day):
            wd = (ORIGIN + timedelta(days=lo + j)).weekday()
            totals[wd] += float(v)
            ndays[wd] += 1
    weights = alerts.weekday_weights(totals, ndays)
    exposures = [alerts.exposure(p.start, p.end, weights) for p in base]
    cur_exposure = alerts.exposure(period.start, period.end, weights)
    rows, family = [], []
    for i in np.nonzero(seen)[0]:
        windows = [alerts.Window(p.label, p.start, p.end, int(history[i, j]), exposures[j]) for j, p in enumerate(base)]
        # the start of data as the system sees it: the series' first case (after go-live)
        start = ORIGIN + timedelta(days=int(first[i]))
        family.append(alerts.Series(int(current[i]), cur_exposure, windows, start, period.start))
        rows.append(i)
    return rows, family, alerts.assess_family(family)


def _flags(n: int, rows: list, decisions: list) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    for i, d in zip(rows, decisions, strict=True):
        out[i] = d.rising
    return out


def judge(counts: np.ndarray, period: Period, today: date) -> dict:
    """Flags of every series on one report: {"old", "today", "new", ("one", q), ("sus", q)} -> (S,)
    bool, plus "judged". Week views: "today" = the one-week test at ``WEEK_FDR_Q``; "new" adds
    the sustained-rise test at ``SUSTAINED_FDR_Q``; ("one", q) / ("sus", q): the one-week test at
    q / the union with the sustained test at q. Other views: every entry = today's decision."""
    n = counts.shape[0]
    cum = np.concatenate([np.zeros((n, 1), dtype=np.int64), np.cumsum(counts, axis=1)], axis=1)
    first = np.argmax(counts > 0, axis=1)  # the first case (start of data as the system sees it)
    out: dict = {}
    # old method
    base = preceding_periods(period, BASELINE_PERIODS)
    current = window_counts(cum, period)
    history = np.stack([window_counts(cum, p) for p in base], axis=1)
    old = np.zeros(n, dtype=bool)
    keys = [str(i) for i in range(n)]
    found = rising_issues(
        {k: history[i].tolist() for i, k in enumerate(keys)}, {k: int(current[i]) for i, k in enumerate(keys)}, **OLD
    )
    for r in found:
        old[int(r.key)] = True
    out["old"] = old
    rows, family, assessed = _assess(
        counts, cum, period, today, alerts.baseline_periods(period.kind, period.days), first
    )
    q = alerts.fdr_q(period.kind, period.days)
    out["today"] = _flags(n, rows, alerts.decide(assessed, q=q, **NEW))
    judged = np.zeros(n, dtype=bool)
    for i, a in zip(rows, assessed, strict=True):
        judged[i] = a.judged
    out["judged"] = judged
    if not alerts.is_week_view(period.kind, period.days):
        out["new"] = out["today"]
        for key in SENSITIVITY:
            out[key] = out["today"]
        return out
    sustained = alerts.assess_sustained(family, assessed)
    out["new"] = _flags(n, rows, alerts.decide_sustained(assessed, sustained, **NEW))
    for kind, value in SENSITIVITY:
        if kind == "one":
            out[(kind, value)] = _flags(n, rows, alerts.decide(assessed, q=value, **NEW))
        else:
            out[(kind, value)] = _flags(n, rows, alerts.decide_sustained(assessed, sustained, q_sustained=value, **NEW))
    return out


def null_reports() -> list[tuple[str, Period, date]]:
    """Week, month and quarter views: whole periods and running ones cut at a weekday."""
    out = []
    for k in range(26):  # whole weeks ending on Sundays, June-December 2026
        end = date(2026, 6, 7) + timedelta(days=7 * k)
        out.append(("week", period_containing("week", end), end))
    for today in (date(2026, 6, 10) + timedelta(days=9 * j) for j in range(20)):
        if today.weekday() != 6:
            out.append(("week to date", period_to_date(period_containing("week", today), today), today))
    for m in range(6, 12):
        p = period_containing("month", date(2026, m, 1))
        out.append(("month", p, p.end))
    for today in (date(2026, 7, 3), date(2026, 8, 19), date(2026, 10, 9), date(2026, 11, 25), date(2026, 12, 7)):
        out.append(("month to date", period_to_date(period_containing("month", today), today), today))
    for q in (date(2026, 4, 1), date(2026, 7, 1), date(2026, 10, 1)):
        p = period_containing("quarter", q)
        if p.end < LAST:
            out.append(("quarter", p, p.end))
    for today in (date(2026, 8, 20), date(2026, 12, 7)):
        out.append(("quarter to date", period_to_date(period_containing("quarter", today), today), today))
    return out


METHODS = ("old", "today", "new")
DELAY_VIEWS = ("7d", "wtd", "mtd")


def run(series: int, banks: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    result: dict = {"false": {}, "kinds": {}, "detect": [], "delay": []}
    reports = null_reports()
    for _ in range(banks):
        bank = make_bank(rng, series)
        # 1. false alerts: no spike anywhere
        for view, period, today in reports:
            flags = judge(bank.counts, period, today)
            seen = bank.counts[:, : idx(today) + 1].sum(axis=1) > 0
            agg = result["false"].setdefault(view, {"seen": 0, "judged": 0})
            agg["seen"] += int(seen.sum())
            agg["judged"] += int(flags["judged"].sum())
            for key in (*METHODS, *SENSITIVITY):
                agg[key] = agg.get(key, 0) + int(flags[key].sum())
            week = "week views" if alerts.is_week_view(period.kind, period.days) else "month and quarter views"
            for kind, member in bank.kinds.items():
                k = result["kinds"].setdefault((kind, week), {"seen": 0})
                k["seen"] += int((seen & member).sum())
                for key in (*METHODS, *SENSITIVITY):
                    k[key] = k.get(key, 0) + int((flags[key] & member).sum())
        # 2. detection at the end of a whole period spiked from its first day (and only then)
        for view, anchor in DETECT_ANCHORS:
            period = period_containing(view, anchor)
            alive = bank.start <= idx(period.start) - 8 * (7 if view == "week" else 31)
            rows = np.nonzero(alive)[0]
            rows = rng.choice(rows, size=min(len(rows), max(1, series // 5)), replace=False)
            mult = rng.choice(np.array(MULTIPLIERS), len(rows))
            counts = with_spike(rng, bank, rows, mult, idx(period.start), period.days)
            flags = judge(counts, period, period.end)
            expected = bank.mean[rows, idx(period.start) : idx(period.end) + 1].sum(axis=1)
            for r, m, e in zip(rows, mult, expected, strict=True):
                got = {key: bool(flags[key][r]) for key in (*METHODS, *SENSITIVITY)}
                result["detect"].append((view, float(m), float(e), got))
        # 3. a rise that lasts: from a Monday in October, 28 days, checked every day on three views
        onset_day = date(2026, 10, 12) + timedelta(days=7 * int(rng.integers(0, 2)))
        onset = idx(onset_day)
        alive = bank.start <= onset - 400
        rows = np.nonzero(alive)[0]
        rows = rng.choice(rows, size=min(len(rows), max(1, series // 5)), replace=False)
        mult = rng.choice(np.array(MULTIPLIERS), len(rows))
        counts = with_spike(rng, bank, rows, mult, onset, DELAY_DAYS)
        first_alert = {(m, v): {} for m in (*METHODS, *SENSITIVITY) for v in DELAY_VIEWS}
        for d in range(DELAY_DAYS):
            today = onset_day + timedelta(days=d)
            views = {
                "7d": custom_period(today - timedelta(days=6), today),
                "wtd": period_to_date(period_containing("week", today), today),
                "mtd": period_to_date(period_containing("month", today), today),
            }
            for v, period in views.items():
                flags = judge(counts, period, today)
                for name in (*METHODS, *SENSITIVITY):
                    for r in rows:
                        if flags[name][r] and r not in first_alert[(name, v)]:
                            first_alert[(name, v)][r] = d
        weekly = 7 * bank.mean[rows, onset - 28 : onset].mean(axis=1)
        for r, m, e in zip(rows, mult, weekly, strict=True):
            result["delay"].append(
                (float(m), float(e), {key: alerts_for.get(r) for key, alerts_for in first_alert.items()})
            )
    return result


def pct(a: int, b: int) -> str:
    return "—" if not b else f"{100.0 * a / b:.1f} %"


def _label(key) -> str:
    if isinstance(key, tuple):
        kind, q = key
        return f"one week q {q:g}" if kind == "one" else f"new, sustained q {q:g}"
    return key


def report(res: dict, args, seconds: float) -> str:
    lines = [
        f"# Rising-issue alerts: old Poisson flag, today's model, new (sustained-rise) model — "
        f"{date.today().isoformat()}",
        "",
        f"Machine: {platform.machine()}, {platform.processor() or platform.platform()}; Python {platform.python_version()}.",
        f"Command: `.venv/bin/python bench/analytics_alerts.py --series {args.series} --banks {args.banks} "
        f"--seed {args.seed}{' --out ' + args.out if args.out else ''}` ({seconds:.0f} s).",
        "",
        f"Synthetic banks of {args.series} code x branch series (daily means 0.05-8, weekday shape "
        f"{', '.join(f'{w:.2f}' for w in WEEKDAY_SHAPE)} Mon-Sun with per-series jitter, week-level gamma "
        "noise (shape 15/40/200) and day-level gamma noise (shape 3/10/50), 30 % with a slow trend of up to "
        "±40 %/year, 30 % starting part-way); the system goes live on "
        f"{ORIGIN}. Old: {OLD}. Today: `analytics.alerts` against {BASELINE_PERIODS} periods "
        f"(week views {alerts.WEEK_BASELINE_PERIODS} weeks) with BH at q={alerts.FDR_Q} (week views "
        f"q={alerts.WEEK_FDR_Q}), at least {alerts.MIN_BASELINE_PERIODS} usable baseline periods, {NEW}. "
        f"New: week views (and custom spans ≤ {alerts.WEEK_MAX_DAYS} days) also judged on the current "
        f"period with the {', '.join(str(k - 1) for k in alerts.SUSTAINED_SPANS)} periods before it (Simes "
        f"across spans, BH at q={alerts.SUSTAINED_FDR_Q}, current period above its expected count); "
        "every other view as today.",
        "",
        "## False alerts (no spike anywhere)",
        "",
        "| view | series-periods | judged (rest 历史不足) | old per 100 | today per 100 | new per 100 | "
        + " | ".join(_label(k) + " per 100" for k in SENSITIVITY)
        + " |",
        "|---|---|---|---|---|---|" + "---|" * len(SENSITIVITY),
    ]
    total: dict = {}
    for view, agg in res["false"].items():
        for k, v in agg.items():
            total[k] = total.get(k, 0) + v
        seen = agg["seen"]
        cells = [f"{100 * agg[k] / seen:.2f}" for k in (*METHODS, *SENSITIVITY)]
        lines.append(f"| {view} | {seen} | {pct(agg['judged'], seen)} | " + " | ".join(cells) + " |")
    seen = total["seen"]
    cells = [f"**{100 * total[k] / seen:.2f}**" for k in (*METHODS, *SENSITIVITY)]
    lines.append(f"| **all** | {seen} | {pct(total['judged'], seen)} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "By kind of series (a series may be of several kinds; to-date views included):",
        "",
        "| kind of series | views | series-periods | old per 100 | today per 100 | new per 100 | "
        + " | ".join(_label(k) + " per 100" for k in SENSITIVITY)
        + " |",
        "|---|---|---|---|---|---|" + "---|" * len(SENSITIVITY),
    ]
    for (kind, views), agg in res["kinds"].items():
        seen = agg["seen"]
        if seen:
            cells = [f"{100 * agg[k] / seen:.2f}" for k in (*METHODS, *SENSITIVITY)]
            lines.append(f"| {kind} | {views} | {seen} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Target: ≤ 1 false alert per 100 series-periods in every view and kind of series.",
        "",
        "## Detection at the end of a whole period spiked throughout (and only then)",
        "",
        "Expected = the series' true mean count in the period without the spike.",
        "",
        "| view | multiplier | expected count | spiked series | old | today | new | "
        + " | ".join(_label(k) for k in SENSITIVITY)
        + " |",
        "|---|---|---|---|---|---|---|" + "---|" * len(SENSITIVITY),
    ]
    bins = ((0, 10, "< 10"), (10, 20, "10-20"), (20, 50, "20-50"), (50, 1e12, "≥ 50"), (10, 1e12, "**≥ 10**"))
    for view in ("week", "month"):
        for m in MULTIPLIERS:
            for lo, hi, label in bins:
                rows = [r for r in res["detect"] if r[0] == view and r[1] == m and lo <= r[2] < hi]
                if rows:
                    cells = [pct(sum(r[3][k] for r in rows), len(rows)) for k in (*METHODS, *SENSITIVITY)]
                    lines.append(f"| {view} | ×{m:g} | {label} | {len(rows)} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Target: ≥ 90 % for ×2 on an expected count ≥ 10. A one-week spike gives the sustained test "
        "nothing to add (the weeks before are normal); it is there for the rise that lasts, below.",
        "",
        f"## A rise that lasts (from a Monday in October 2026, {DELAY_DAYS} days, checked daily)",
        "",
        "Views: `7d` = the last 7 days against the 7-day windows before (26 of them); `wtd` = the week to "
        "date (the TOP page's 本周) against the same weekdays of earlier weeks; `mtd` = the month to date "
        "against the same elapsed days of the 8 months before. Weekly mean = 7 x the true daily mean over the "
        "28 days before the onset. Found within d days = alerted on one of the days 0..d-1 from the onset; "
        "delay = days from the onset to the first alert (0 = the onset day), median over the series found.",
        "",
        "| multiplier | weekly mean | series | method | "
        + " | ".join(f"{v} ≤7 d | {v} ≤14 d | {v} ≤28 d | {v} median delay" for v in DELAY_VIEWS)
        + " |",
        "|---|---|---|---|" + "---|---|---|---|" * len(DELAY_VIEWS),
    ]
    for m in MULTIPLIERS:
        for lo, hi, label in ((2, 10, "2-10"), (10, 1e9, "≥ 10")):
            rows = [r for r in res["delay"] if r[0] == m and lo <= r[1] < hi]
            if not rows:
                continue
            for method in (*METHODS, ("one", 0.3)):
                cells = []
                for v in DELAY_VIEWS:
                    got = [r[2][(method, v)] for r in rows if r[2][(method, v)] is not None]
                    for within in (7, 14, 28):
                        cells.append(pct(sum(1 for g in got if g < within), len(rows)))
                    cells.append(f"{statistics.median(got):g}" if got else "—")
                lines.append(f"| ×{m:g} | {label} | {len(rows)} | {_label(method)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--series", type=int, default=300)
    parser.add_argument("--banks", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    began = time.perf_counter()
    res = run(args.series, args.banks, args.seed)
    text = report(res, args, time.perf_counter() - began)
    print(text)
    out = Path(args.out) if args.out else ROOT / "bench" / "results" / f"analytics-alerts-{date.today().isoformat()}.md"
    out.write_text(text, encoding="utf-8")
    print(f"written: {out}")


if __name__ == "__main__":
    main()
