"""Latency of the TOP page's week views against its month view, on an existing database (not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5442/voc_h_load \\
        .venv/bin/python bench/analytics_latency.py [--samples 20] [--out bench/results/....md]

Reads only: every request and selector call runs inside one transaction that is rolled back
at the end (sessions and audit rows of the signed-in users are not kept), with the process's
own memory cache (no REDIS_URL). Measured in the same run, for head office (whole bank, each
branch judged too) and a branch manager:

- the rollup queries of the TOP table (``top_issues`` without rising flags) and of the
  rising-issue model (``rising_result``: one grouped query per rollup tier over the period and
  its baseline periods, the start-of-data and weekday reads), for the week views (this week to
  date; last week, whole) and the month views (本月至今, the default; last month), every call
  computed (``cached`` bypassed): wall time, SQL time and query count;
- the TOP page as a request (Django test client, in process), cold (cache emptied before each
  request) and warm (the same request again, the report cache filled);
- the rising model's counts read the way they were read before 2026-12-08 (``counts_before``
  below, verbatim from d34852a: one filtered sum per period, a week cut at today read from its
  days) against the way the page reads them now (``analytics.selectors.rising._counts``: one
  grouped sum per range bucket; a week cut at most three days before its end read whole from
  the weekly tier less its last days), alternating call by call, results checked equal, with
  the server-side time of each call's queries (EXPLAIN ANALYZE: planning + execution,
  independent of the client's wait for a core) and the load average before and after. Besides
  this week to date, last week cut on Wednesday, Thursday and Saturday (the running week on
  those days: 3, 4 and 6 days of each of 27 weeks).

Target (issue 11): rollups p95 <= 50 ms at 1 M complaints.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import date, timedelta
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voc.settings")
os.environ.pop("REDIS_URL", None)  # the process's own cache: emptying it touches nobody else's

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def summary(samples: list[tuple[float, float, int]]) -> str:
    wall = [s[0] for s in samples]
    sql = [s[1] for s in samples]
    return (
        f"{statistics.median(wall):.1f} | {pct(wall, 95):.1f} | {max(wall):.1f} | "
        f"{statistics.median(sql):.1f} | {max(s[2] for s in samples)}"
    )


def timed(fn) -> tuple[float, float, int]:
    with CaptureQueriesContext(connection) as ctx:
        t = time.perf_counter()
        fn()
        wall = (time.perf_counter() - t) * 1000
    return wall, sum(float(q["time"]) for q in ctx.captured_queries) * 1000, len(ctx.captured_queries)


def fmt_load(load: tuple[float, float, float]) -> str:
    return " / ".join(f"{v:.1f}" for v in load)


def server_ms(fn) -> tuple[float, float]:
    """(sum over the call's queries, slowest query) of PostgreSQL's planning + execution time,
    each query captured from one call and run again under EXPLAIN ANALYZE."""
    import json

    with CaptureQueriesContext(connection) as ctx:
        fn()
    times = []
    with connection.cursor() as cur:
        for q in ctx.captured_queries:
            cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + q["sql"])
            plan = cur.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            times.append(plan[0]["Planning Time"] + plan[0]["Execution Time"])
    return sum(times), max(times, default=0.0)


def tiers_before(daily, monthly, periods, *, weekly=None):
    """``analytics.selectors.base.tiers`` as of d34852a: a week cut at today is read from its days."""
    from django.db.models import Q

    from analytics.periods import TierSplit, split_by_month
    from analytics.selectors.base import Tier, _any, whole_weeks

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


def counts_before(daily, monthly, weekly, periods, dim):
    """The rising model's counts as read until d34852a: per tier, one ``SUM(total) FILTER``
    per period (27 for a week view), rows key x org."""
    import pandas as pd
    from django.db.models import F, Sum

    from analytics.selectors.base import key_expression

    cols = [f"p{i}" for i in range(len(periods))]
    rows: list[dict] = []
    for tier in tiers_before(daily, monthly, periods, weekly=weekly):
        sums = {col: Sum("total", filter=q) for col, q in zip(cols, tier.conditions, strict=True) if q is not None}
        rows += list(tier.qs.values(key=key_expression(dim), org_ref=F("org_id")).annotate(**sums).order_by())
    frame = pd.DataFrame(rows).reindex(columns=["key", "org_ref", *cols]).fillna(0)
    frame[cols] = frame[cols].astype("int64")
    return frame


def compare_reads(users, views, dim, args, rollups_in, monthly_rollups_in, weekly_rollups_in, selectors, rising_mod):
    """The rising model of each view with its counts read as before (``counts_before``) and as
    now (``rising._counts``), the two calls alternating; the results must be equal."""
    lines = [
        "## Rising model: the counts read as before (d34852a) against now",
        "",
        f"The same call (`analytics.selectors.rising._rising`, weekly tier given) with its counts read "
        f"by `counts_before` (today: one filtered sum per period, a cut week from its days) and by "
        f"`rising._counts` (now), alternating, {args.samples} each after one warm-up; results checked equal. "
        f"Server = PostgreSQL planning + execution (EXPLAIN ANALYZE of each captured query, median of "
        f"{args.explain_samples}), summed over the call's queries, and its slowest query.",
        "",
        "| user | view | read | wall p50 ms | wall p95 ms | wall max ms | SQL p50 ms | queries "
        "| server sum p50 ms | server sum p95 ms | slowest query p50 ms | slowest query p95 ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    now_counts = rising_mod._counts

    def with_counts(counts, *a, **kw):
        rising_mod._counts = counts
        try:
            return rising_mod._rising(*a, **kw)
        finally:
            rising_mod._counts = now_counts

    for who, user in users.items():
        scope = selectors.resolve_scope(user, "")
        by_branch = who == "head office"
        daily, monthly, weekly = rollups_in(scope), monthly_rollups_in(scope), weekly_rollups_in(scope)
        for view, (period, _) in views.items():
            common = (daily, monthly, period, dim)
            calls = {
                "today (d34852a)": partial(with_counts, counts_before, *common, by_branch=by_branch, weekly=weekly),
                "now": partial(with_counts, now_counts, *common, by_branch=by_branch, weekly=weekly),
            }
            results = [fn() for fn in calls.values()]  # warm-up
            assert results[0] == results[1], f"{who} {view}: the two reads disagree"
            samples: dict[str, list] = {name: [] for name in calls}
            for _ in range(args.samples):
                for name, fn in calls.items():
                    samples[name].append(timed(fn))
            server: dict[str, list] = {name: [] for name in calls}
            for _ in range(args.explain_samples):
                for name, fn in calls.items():
                    server[name].append(server_ms(fn))
            for name in calls:
                sums = [s[0] for s in server[name]]
                slowest = [s[1] for s in server[name]]
                lines.append(
                    f"| {who} | {view} | {name} | {summary(samples[name])} | {statistics.median(sums):.1f} "
                    f"| {pct(sums, 95):.1f} | {statistics.median(slowest):.1f} | {pct(slowest, 95):.1f} |"
                )
                print(lines[-1], flush=True)
    return lines + [""]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--out", default="")
    parser.add_argument("--skip-page", action="store_true", help="leave out the TOP page requests")
    parser.add_argument("--explain-samples", type=int, default=5)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run on PostgreSQL: set DATABASE_URL=postgres://...")

    import analytics.selectors.base as base
    import analytics.selectors.rising as rising_mod
    import analytics.selectors.top as top_mod
    from accounts.models import User
    from analytics import alerts, selectors
    from analytics.dimensions import dimension
    from analytics.models import DailyRollup, MonthlyRollup, WeeklyRollup
    from analytics.periods import Period, period_containing, period_to_date, preceding_periods
    from analytics.selectors.base import monthly_rollups_in, rollups_in, weekly_rollups_in
    from complaints.models import Complaint

    today = timezone.localdate()
    week = period_containing("week", today)
    month = period_containing("month", today)
    last = preceding_periods(week, 1)[0]

    def cut(days: int) -> Period:
        return Period("week", last.start, last.start + timedelta(days=days - 1), to_date=True)

    views = {
        "week to date (kind=week)": (period_to_date(week, today), "kind=week"),
        "last week cut on Wednesday (3 days)": (cut(3), ""),
        "last week cut on Thursday (4 days)": (cut(4), ""),
        "last week cut on Saturday (6 days)": (cut(6), ""),
        "last week (whole)": (preceding_periods(week, 1)[0], f"kind=week&anchor={week.start - timedelta(days=7)}"),
        "month to date (本月至今, default)": (period_to_date(month, today), "preset=mtd"),
        "last month (上月)": (preceding_periods(month, 1)[0], "preset=last_month"),
    }
    users = {
        "head office": User.objects.get(username="ho_officer"),
        "branch manager": User.objects.get(username="bj_manager"),
    }
    dim = dimension("B", 3)
    total = Complaint.objects.count()
    daily_rows, monthly_rows = DailyRollup.objects.count(), MonthlyRollup.objects.count()
    weekly_rows = WeeklyRollup.objects.count()
    tiers_text = f"rollup {daily_rows:,} daily + {weekly_rows:,} weekly + {monthly_rows:,} monthly rows"
    print(f"{total:,} complaints; {tiers_text}; today {today}", flush=True)
    load_before = os.getloadavg()

    def no_cache(name, scope, params, compute):
        return compute()

    patched = (base, top_mod, rising_mod)
    real_cached = base.cached
    lines: list[str] = []
    began = time.perf_counter()
    with transaction.atomic():
        # 0. the rising model's read: days (before the weekly tier) against weeks (now)
        lines += compare_reads(
            users, views, dim, args, rollups_in, monthly_rollups_in, weekly_rollups_in, selectors, rising_mod
        )
        # 1. selectors, every call computed
        for module in patched:
            module.cached = no_cache
        lines += [
            "## Rollup queries (selectors, no cache)",
            "",
            f"{args.samples} calls each after one warm-up; B leaf codes; head office judges the bank and each branch "
            "in one family. Wall = the whole call (SQL + the model in Python); SQL = the queries' own time.",
            "",
            "| user | view | part | wall p50 ms | wall p95 ms | wall max ms | SQL p50 ms | queries |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for who, user in users.items():
            scope = selectors.resolve_scope(user, "")
            by_branch = who == "head office"
            for view, (period, _) in views.items():
                parts = {
                    "TOP table (rollup, no rising)": lambda p=period, s=scope: selectors.top_issues(
                        s, p, dim, limit=50, with_rising=False
                    ),
                    f"rising model ({alerts.baseline_periods(period.kind, period.days)} periods"
                    + (" + sustained" if alerts.is_week_view(period.kind, period.days) else "")
                    + ")": lambda p=period, s=scope, b=by_branch: selectors.rising_result(s, p, dim, by_branch=b),
                }
                for part, fn in parts.items():
                    fn()  # warm-up
                    samples = [timed(fn) for _ in range(args.samples)]
                    lines.append(f"| {who} | {view} | {part} | {summary(samples)} |")
                    print(lines[-1], flush=True)
        for module in patched:
            module.cached = real_cached
        # 2. the page
        page_users = {} if args.skip_page else users
        lines += (
            []
            if args.skip_page
            else [
                "",
                "## TOP page (full request in process: rising panel, chart data, template)",
                "",
                f"{args.samples} requests each. Cold: the cache emptied before each request (every figure computed); "
                "warm: the same request again with the report cache filled.",
                "",
                "| user | view | cache | p50 ms | p95 ms | max ms | SQL p50 ms | queries |",
                "|---|---|---|---|---|---|---|---|",
            ]
        )
        for who, user in page_users.items():
            client = Client()
            client.force_login(user)
            for view, (_, query) in views.items():
                if not query:
                    continue  # a cut week is not a page of its own
                url = f"/analytics/?{query}&axis=B&level=3"
                assert client.get(url).status_code == 200, url  # warm-up
                for label, cold in (("cold", True), ("warm", False)):
                    samples = []
                    for _ in range(args.samples):
                        if cold:
                            cache.clear()
                        samples.append(timed(lambda u=url, c=client: c.get(u)))
                    lines.append(f"| {who} | {view} | {label} | {summary(samples)} |")
                    print(lines[-1], flush=True)
        transaction.set_rollback(True)
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
    head = [
        f"# TOP page latency: week views against the month view — {date.today().isoformat()}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared); PostgreSQL {pg}; Python "
        f"{platform.python_version()}. Data: {total:,} complaints, {tiers_text}; today {today}. Command: "
        f"`DATABASE_URL=… .venv/bin/python bench/analytics_latency.py --samples {args.samples}"
        f"{' --skip-page' if args.skip_page else ''}` ({time.perf_counter() - began:.0f} s). Read only (one "
        f"transaction, rolled back). Load average (1, 5, 15 min) at the start {fmt_load(load_before)}, "
        f"at the end {fmt_load(os.getloadavg())}.",
        "",
    ]
    text = "\n".join(head + lines) + "\n\nTarget: rollups p95 ≤ 50 ms at 1 M complaints.\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"written: {args.out}")


if __name__ == "__main__":
    main()
