"""Analytics benchmark on PostgreSQL at 1,000,000 complaints over 2 years (not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/voc_bench_analytics .venv/bin/python bench/analytics.py

Generates the complaints in bulk (INSERT ... SELECT generate_series; skewed codes, C
correlated with B, A with the intake channel, workflow columns filled; reruns reuse the
data), rebuilds the rollup, then measures in the same run:
- TOP-N (selector and full page) from the rollup vs the same ranking from raw tables
  (targets p95 <= 50 ms and <= 300 ms);
- the weekly rising-issue job; a hook refresh of one case;
- a CSV export of every case (1M rows) in a fresh process: time and peak RSS (<= 200 MB).
Writes bench/results/analytics-<date>.md (analytics-<date>-5m.md for ``--rows 5000000``).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.memory import peak_rss_mib  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voc.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

SUMMARIES = [
    "信用卡年费争议，客户手机13812345678",
    "信用卡交易争议，认为系盗刷",
    "还款入账延迟产生滞纳金",
    "分期营销误导，未说明费率",
    "手机银行升级后无法登录",
    "理财产品亏损，称被告知保本",
    "柜面排队时间过长",
    "转账到账延迟",
]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def ensure_data(rows: int) -> float:
    from accounts import demo as accounts_demo
    from accounts.models import Organisation
    from complaints.grams import cjk_grams
    from complaints.models import ClassificationCode, Complaint
    from complaints.taxonomy_selectors import taxonomy_rows

    call_command("migrate", verbosity=0)
    if not Organisation.objects.filter(code="SZ").exists():
        accounts_demo.seed()
    have = Complaint.objects.count()
    if have >= rows:
        print(f"data: {have} complaints present")
        return 0.0
    leaf = {r.code for r in taxonomy_rows() if r.is_leaf}
    ids = {c.code: c.id for c in ClassificationCode.objects.filter(code__in=leaf)}
    b_pool = sorted((ids[c] for c in ids if c.startswith("B")), key=lambda i: (i * 7919) % 101)
    credit = [ids[c] for c in ids if c.startswith("B0302")]
    b_pool = credit + [b for b in b_pool if b not in credit]  # credit cards first: the skew favours them
    a_pool = [ids[c] for c in ids if c.startswith("A")]
    c_pool = [ids[c] for c in ids if c.startswith("C")]
    org_pool = list(Organisation.objects.exclude(kind="head_office").values_list("id", flat=True))
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("DROP INDEX IF EXISTS cmp_summary_trgm; DROP INDEX IF EXISTS cmp_details_trgm")
        step = 250_000
        for start in range(have + 1, rows + 1, step):
            end = min(rows, start + step - 1)
            cur.execute(
                """
                INSERT INTO complaints_complaint (reference, channel, regulator_reference, code_a_id, code_b_id,
                    code_c_id, is_elderly, is_repeat, is_regulator_referred, is_group_impact, has_media_risk, summary,
                    details, search_grams, demand, received_at, accepted_at, responsible_org_id, status, extension_level,
                    paused_days, result, redress_type, created_at, updated_at, due_date, first_response_at,
                    decided_at, redress_amount)
                SELECT 'VOC-B-' || lpad(g::text, 8, '0'), (%(chan)s::text[])[1 + ch], '',
                    (%(a)s::bigint[])[1 + mod(ch * 3 + (random() * 2)::int, %(na)s)],
                    (%(b)s::bigint[])[1 + bi],
                    (%(c)s::bigint[])[1 + mod(bi * 7 + (random() * 2)::int, %(nc)s)],
                    mod(g, 12) = 0, mod(g, 16) = 0, ch = 7, mod(g, 100) = 0, mod(g, 50) = 0,
                    (%(sums)s::text[])[1 + mod(g * 31, %(ns)s)], '',
                    (%(grams)s::text[])[1 + mod(g * 31, %(ns)s)], 'explanation', ts, ts,
                    (%(orgs)s::bigint[])[1 + mod(g * 3, %(norg)s)],
                    CASE WHEN ts < now() - interval '40 days' THEN 'closed' ELSE 'investigating' END,
                    CASE WHEN mod(g, 10) = 0 THEN 1 ELSE 0 END, 0,
                    CASE WHEN ts < now() - interval '40 days' THEN
                        (ARRAY['upheld','partly_upheld','not_upheld'])[1 + mod(g, 3)] ELSE '' END,
                    '', ts, ts, (ts + interval '15 days')::date,
                    ts + (random() * 30) * interval '1 hour',
                    CASE WHEN ts < now() - interval '40 days' THEN ts + (3 + random() * 20) * interval '1 day' END,
                    CASE WHEN mod(g, 9) = 0 AND ts < now() - interval '40 days' THEN mod(g, 500)::numeric END
                FROM (SELECT g, mod(g * 7, 8) AS ch,
                             floor(%(nb)s * power(random(), 2.5))::int AS bi,
                             now() - (g::double precision / %(rows)s) * interval '730 days'
                             - (random() * interval '1 hour') AS ts
                      FROM generate_series(%(start)s, %(end)s) g) s
                """,
                {
                    "chan": ["hotline", "hotline", "hotline", "counter", "app", "wechat", "web", "regulator"],
                    "a": a_pool,
                    "na": len(a_pool),
                    "b": b_pool,
                    "nb": len(b_pool),
                    "c": c_pool,
                    "nc": len(c_pool),
                    "sums": SUMMARIES,
                    "grams": [cjk_grams(t, "") for t in SUMMARIES],
                    "ns": len(SUMMARIES),
                    "orgs": org_pool,
                    "norg": len(org_pool),
                    "rows": rows,
                    "start": start,
                    "end": end,
                },
            )
            print(f"  inserted up to {end} ({time.perf_counter() - t0:.0f} s)", flush=True)
        cur.execute("ANALYZE complaints_complaint")
    generated = time.perf_counter() - t0
    print(f"data: generated {rows - have} complaints in {generated:.0f} s")
    return generated


def export_child() -> None:
    """Run in a fresh process: stream the CSV of every case and report time and peak RSS."""
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="ho_officer"))
    rss_before = peak_rss_mib()
    start = (timezone.localdate() - timedelta(days=740)).isoformat()
    t0 = time.perf_counter()
    response = client.get(f"/analytics/export/cases/csv/?kind=custom&start={start}&end={timezone.localdate()}")
    lines = 0
    size = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
        size += len(chunk)
    elapsed = time.perf_counter() - t0
    peak = peak_rss_mib()
    print(
        f"EXPORT rows={lines - 1} bytes={size} seconds={elapsed:.1f} rss_before_mb={rss_before:.0f} peak_mb={peak:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--export-child", action="store_true")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated parts to run (top,page,perf,rising,hook,export); prints them, writes no results file",
    )
    args = parser.parse_args()
    if args.export_child:
        export_child()
        return
    if connection.vendor != "postgresql":
        sys.exit("Run on PostgreSQL: set DATABASE_URL=postgres://...")
    import analytics.selectors.base as base
    import analytics.selectors.top as top_mod
    from accounts.models import User
    from analytics import selectors
    from analytics.dimensions import dimension
    from analytics.models import DailyRollup, MonthlyRollup
    from analytics.periods import period_containing
    from analytics.services import rising_issues_notify, rollup_rebuild, rollup_refresh_for_complaints
    from complaints.models import Complaint

    generated = ensure_data(args.rows)
    total = Complaint.objects.count()
    results: list[tuple[str, str]] = []
    t0 = time.perf_counter()
    if not DailyRollup.objects.exists():
        rollup_rebuild()
        with connection.cursor() as cur:
            cur.execute("ANALYZE analytics_dailyrollup; ANALYZE analytics_rollupmember")
    rebuild = time.perf_counter() - t0
    rollup_rows = DailyRollup.objects.count()
    monthly_rows = MonthlyRollup.objects.count()
    print(f"rollup: {rollup_rows} daily rows, {monthly_rows} monthly rows (rebuild {rebuild:.0f} s)")
    only = {p for p in args.only.split(",") if p}

    def wanted(part: str) -> bool:
        return not only or part in only

    # No caching while measuring: every call computes.
    def no_cache(name, scope, params, compute):
        return compute()

    import analytics.selectors.performance as perf_mod
    import analytics.selectors.rising as rising_mod
    import analytics.selectors.trends as trend_mod

    patched = (base, top_mod, perf_mod, trend_mod, rising_mod)
    real_cached = base.cached
    for module in patched:
        module.cached = no_cache

    ho = User.objects.get(username="ho_officer")
    bj = User.objects.get(username="bj_manager")
    today = timezone.localdate()
    months = [period_containing("month", today - timedelta(days=30 * i)) for i in range(1, 13)]
    quarters = [period_containing("quarter", today - timedelta(days=91 * i)) for i in range(1, 5)]
    dims = [dimension("B", 2), dimension("B", 3), dimension("BC", 3)]
    cases = [(user, period, dim) for user in (ho, bj) for period in months[:6] + quarters[:2] for dim in dims]

    def measure(label: str, fn) -> list[float]:
        rng = random.Random(7)  # every measure runs the same sequence of queries
        samples = []
        for i in range(args.samples):
            user, period, dim = cases[rng.randrange(len(cases))] if i else cases[0]
            scope = selectors.resolve_scope(user, "")
            t = time.perf_counter()
            fn(scope, period, dim)
            samples.append((time.perf_counter() - t) * 1000)
        line = f"p50 {statistics.median(samples):.1f} ms, p95 {pct(samples, 95):.1f} ms, max {max(samples):.1f} ms"
        print(f"{label}: {line}", flush=True)
        results.append((label, line))
        return samples

    if wanted("top"):
        measure_top(measure, selectors, base, results)

    # The page with the real short cache, emptied before each request: nothing is reused
    # between requests, but the rising figures are computed once per request.
    for module in patched:
        module.cached = real_cached
    if wanted("page"):
        measure_page(args, ho, bj, months, results)
    for module in patched:
        module.cached = no_cache
    if wanted("perf"):
        perf = []
        for i in range(10):
            scope = selectors.resolve_scope(ho if i % 2 == 0 else bj, "")
            t = time.perf_counter()
            selectors.performance(scope, months[i % 6])
            perf.append((time.perf_counter() - t) * 1000)
        results.append(
            ("performance table (selector)", f"p50 {statistics.median(perf):.1f} ms, p95 {pct(perf, 95):.1f} ms")
        )
    if wanted("rising"):
        t = time.perf_counter()
        sent = rising_issues_notify(today=today)
        results.append(
            (
                "weekly rising-issue job (whole bank + each branch, B leaf)",
                f"{time.perf_counter() - t:.2f} s, {sent} notices",
            )
        )
        print(results[-1])
    if wanted("hook"):
        measure_hook(Complaint, rollup_refresh_for_complaints, results)
    if wanted("export"):
        child = subprocess.run(
            [sys.executable, __file__, "--export-child"],
            capture_output=True,
            text=True,
            env=os.environ.copy(),
            check=True,
        )
        export_line = [ln for ln in child.stdout.splitlines() if ln.startswith("EXPORT")][0]
        print(export_line)
        results.append(("CSV export of every case (fresh process)", export_line.removeprefix("EXPORT ")))
    if only:
        print("\n".join(f"| {k} | {v} |" for k, v in results))
        return
    write_results(results, total, f"{rollup_rows:,} daily + {monthly_rows:,} monthly", generated, rebuild)


def measure_top(measure, selectors, base, results) -> None:
    """TOP-N from both rollup tiers, from the daily tier only (the layout before the monthly
    tier existed) and from raw rows: the same queries in the same run."""
    roll = measure(
        "TOP-N from rollup (selector, month/quarter, HO+branch, B2/B3/BxC)",
        lambda s, p, d: selectors.top_issues(s, p, d, limit=50, with_rising=False),
    )
    real_coarse_ok = base.coarse_ok
    base.coarse_ok = lambda dim: False
    try:
        daily = measure(
            "TOP-N from the daily rollup only (before: no monthly tier)",
            lambda s, p, d: selectors.top_issues(s, p, d, limit=50, with_rising=False),
        )
    finally:
        base.coarse_ok = real_coarse_ok
    raw = measure(
        "TOP-N from raw tables (same queries)",
        lambda s, p, d: selectors.top_issues(s, p, d, limit=50, with_rising=False, raw=True),
    )
    results.append(("ratio raw / rollup (p95)", f"{pct(raw, 95) / pct(roll, 95):.1f}x"))
    results.append(("ratio daily-only / rollup (p95)", f"{pct(daily, 95) / pct(roll, 95):.1f}x"))
    measure(
        "TOP-N with rising flags from rollup (selector)",
        lambda s, p, d: selectors.top_issues(s, p, d, limit=50, with_rising=True),
    )


def measure_page(args, ho, bj, months, results) -> None:
    from django.core.cache import cache
    from django.test import Client

    client = Client()
    page_samples = []
    for i in range(args.samples):
        user = ho if i % 2 == 0 else bj
        client.force_login(user)
        period = months[i % 6]
        query = "" if i % 3 == 2 else f"kind=month&anchor={period.start}&"
        cache.clear()
        t = time.perf_counter()
        response = client.get(f"/analytics/?{query}axis=B&level={2 + i % 2}")
        assert response.status_code == 200
        page_samples.append((time.perf_counter() - t) * 1000)
    line = f"p50 {statistics.median(page_samples):.1f} ms, p95 {pct(page_samples, 95):.1f} ms"
    print(f"TOP page (full request, rising panel included): {line}")
    results.append(
        (
            "TOP page, full request incl. rising panel + chart data (cache emptied before each request; month or last-30-days)",
            line,
        )
    )


def measure_hook(Complaint, rollup_refresh_for_complaints, results) -> None:
    """The refresh a worker runs per case, and what the request itself now pays: queuing it."""
    import tempfile

    from analytics.hooks import complaints_changed
    from voc.celery import app

    ids = list(Complaint.objects.order_by("-received_at").values_list("pk", flat=True)[:200])
    hook = []
    for pk in ids[:50]:
        t = time.perf_counter()
        rollup_refresh_for_complaints([pk])
        hook.append((time.perf_counter() - t) * 1000)
    results.append(
        (
            "rollup refresh of one case (Celery task body: its (day, org) bucket + the month)",
            f"p50 {statistics.median(hook):.1f} ms, p95 {pct(hook, 95):.1f} ms",
        )
    )
    print(results[-1])
    # Queue into a throw-away filesystem broker folder (no worker picks these up).
    with tempfile.TemporaryDirectory() as folder:
        app.conf.broker_url = "filesystem://"
        app.conf.broker_transport_options = {"data_folder_in": folder, "data_folder_out": folder}
        app.conf.task_always_eager = False
        queued = []
        for pk in ids[50:100]:
            t = time.perf_counter()
            complaints_changed([pk])
            queued.append((time.perf_counter() - t) * 1000)
        results.append(
            (
                "hook in the request: queue the refresh (filesystem broker)",
                f"p50 {statistics.median(queued):.2f} ms, p95 {pct(queued, 95):.2f} ms, {len(os.listdir(folder))} messages",
            )
        )
    print(results[-1])


def write_results(results, total, rollup_rows, generated, rebuild) -> None:
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
    cpu = subprocess.run(
        ["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True
    ).stdout.strip()
    size = "" if total == 1_000_000 else f"-{total / 1_000_000:g}m"  # e.g. analytics-<date>-5m.md
    out = ROOT / "bench" / "results" / f"analytics-{date.today().isoformat()}{size}.md"
    lines = [
        f"# Analytics benchmark — {date.today().isoformat()}",
        "",
        f"- Machine: {platform.node()} · {cpu} · {os.cpu_count()} cores (shared with other engineers' jobs)",
        f"- PostgreSQL {pg}; Python {platform.python_version()}; Django {django.get_version()}",
        f"- Data: {total:,} complaints over 2 years (generated in {generated:.0f} s this run; 0 = reused); "
        f"rollup {rollup_rows} rows (rebuild {rebuild:.0f} s; 0 = reused)",
        "- Caching disabled while measuring (every call computes).",
        "",
        "| Measure | Result |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in results],
        "",
        "Targets: TOP-N p95 from rollups <= 50 ms, from raw tables <= 300 ms; CSV export of 1M rows <= 200 MB peak.",
    ]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
