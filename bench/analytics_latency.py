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
  request) and warm (the same request again, the report cache filled).

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run on PostgreSQL: set DATABASE_URL=postgres://...")

    import analytics.selectors.base as base
    import analytics.selectors.rising as rising_mod
    import analytics.selectors.top as top_mod
    from accounts.models import User
    from analytics import alerts, selectors
    from analytics.dimensions import dimension
    from analytics.models import DailyRollup, MonthlyRollup
    from analytics.periods import period_containing, period_to_date, preceding_periods
    from complaints.models import Complaint

    today = timezone.localdate()
    week = period_containing("week", today)
    month = period_containing("month", today)
    views = {
        "week to date (kind=week)": (period_to_date(week, today), "kind=week"),
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
    print(
        f"{total:,} complaints; rollup {daily_rows:,} daily + {monthly_rows:,} monthly rows; today {today}", flush=True
    )

    def no_cache(name, scope, params, compute):
        return compute()

    patched = (base, top_mod, rising_mod)
    real_cached = base.cached
    lines: list[str] = []
    began = time.perf_counter()
    with transaction.atomic():
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
        lines += [
            "",
            "## TOP page (full request in process: rising panel, chart data, template)",
            "",
            f"{args.samples} requests each. Cold: the cache emptied before each request (every figure computed); "
            "warm: the same request again with the report cache filled.",
            "",
            "| user | view | cache | p50 ms | p95 ms | max ms | SQL p50 ms | queries |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for who, user in users.items():
            client = Client()
            client.force_login(user)
            for view, (_, query) in views.items():
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
        f"{platform.python_version()}. Data: {total:,} complaints, rollup {daily_rows:,} daily + {monthly_rows:,} "
        f"monthly rows; today {today}. Command: `DATABASE_URL=… .venv/bin/python bench/analytics_latency.py "
        f"--samples {args.samples}` ({time.perf_counter() - began:.0f} s). Read only (one transaction, rolled back).",
        "",
    ]
    text = "\n".join(head + lines) + "\n\nTarget: rollups p95 ≤ 50 ms at 1 M complaints.\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"written: {args.out}")


if __name__ == "__main__":
    main()
