"""The daily tier's reads at 1 M complaints: the rising model's running-week cuts and the TOP page's
channel panel, with the index the daily table had before analytics migration 0007 and with the
one it has now, in the same run (issue 11 latency, issue 15 channel mix).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<own db> \\
        .venv/bin/python bench/analytics_daily_reads.py [--samples 10] [--out bench/results/....md]

Needs a database migrated to 0007 (``rollup_day_org_cover``). "Before" is the same database
inside a transaction that drops that index and creates the old ``rollup_day_org`` (day, org)
again, rolled back after each sample, with the reads shaped as before (the daily tier's days as an
OR of ranges, ``_or_of_ranges``; the channel panel's two periods in one query): same rows, same
machine, same minute. "Now": a list of days (``day IN (...)``) and one range per period, which
PostgreSQL can answer from the covering index alone (index-only scan). Samples alternate
before / now. Each sample runs the call once (report cache bypassed), captures its queries and
runs each again under EXPLAIN ANALYZE; server time = planning + execution, summed over the call's
queries, and its slowest query. The results of both ways are checked equal. Also counted: how
many rows a day x org x B x C tier would hold against the daily table (is such a tier worth it?).

Target (issue 11): rollup reads p95 <= 50 ms at 1 M complaints.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voc.settings")
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from collections import defaultdict  # noqa: E402

from django.db import connection, transaction  # noqa: E402
from django.db.models import F, Q, Sum  # noqa: E402
from django.db.models.functions import Substr  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.analytics_latency import fmt_load, pct, server_ms  # noqa: E402

OLD_INDEX = "CREATE INDEX rollup_day_org ON analytics_dailyrollup (day, org_id)"
NEW_INDEX = "rollup_day_org_cover"


class _RolledBack(Exception):
    pass


def _or_of_ranges(field, ranges):
    """The daily tier's rows as 2bef617 selected them: an OR of day ranges."""
    from analytics.selectors.base import _any

    return _any(Q(**{f"{field}__range": (first, last)}) for first, last, _i in ranges)


def _channels_one_query(scope, periods):
    """The channel panel's read as 947dcba made it: both periods in one query (an OR of ranges)."""
    from analytics.selectors.base import rollups_in
    from analytics.selectors.channels import PREFIX

    wanted = Q(day__range=(periods[0].start, periods[0].end)) | Q(day__range=(periods[1].start, periods[1].end))
    rows = (
        rollups_in(scope)
        .filter(wanted)
        .values("day", a1=Substr(F("code_a"), 1, PREFIX))
        .annotate(n=Sum("total"))
        .order_by()
    )
    out = [defaultdict(dict), defaultdict(dict)]
    for r in rows:
        for i, p in enumerate(periods):
            if p.contains(r["day"]):
                out[i][r["a1"]][r["day"]] = int(r["n"] or 0)
                break
    return out


def as_before(fn):
    """Run ``fn`` as before: the daily table's (day, org) index as it was before 0007, and the
    reads shaped as before (an OR of day ranges); rolled back."""
    import analytics.selectors.base as base
    import analytics.selectors.channels as channels_mod

    box = []
    wanted, daily_counts = base._wanted, channels_mod._daily_counts
    base._wanted, channels_mod._daily_counts = _or_of_ranges, _channels_one_query
    try:
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute(f"DROP INDEX {NEW_INDEX}")
                cur.execute(OLD_INDEX)
            box.append(fn())
            raise _RolledBack
    except _RolledBack:
        pass
    finally:
        base._wanted, channels_mod._daily_counts = wanted, daily_counts
    return box[0]


def row(label: str, values: list[tuple[float, float]]) -> str:
    sums = [v[0] for v in values]
    slow = [v[1] for v in values]
    return (
        f"| {label} | {statistics.median(sums):.1f} | {pct(sums, 95):.1f} | {max(sums):.1f} | "
        f"{statistics.median(slow):.1f} | {pct(slow, 95):.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run on PostgreSQL: set DATABASE_URL=postgres://...")

    import analytics.selectors.base as base
    import analytics.selectors.channels as channels_mod
    import analytics.selectors.rising as rising_mod
    from accounts.models import User
    from analytics.dimensions import dimension
    from analytics.models import DailyRollup, MonthlyRollup, WeeklyRollup
    from analytics.periods import Period, period_containing, period_to_date, preceding_periods, preset_period
    from analytics.selectors import resolve_scope
    from complaints.models import Complaint

    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [NEW_INDEX])
        if cur.fetchone() is None:
            sys.exit(f"{NEW_INDEX} missing: migrate analytics to 0007 first")
        cur.execute("SELECT version()")
        pg_version = cur.fetchone()[0].split(" on ")[0]
        cur.execute("SELECT count(*) FROM (SELECT 1 FROM analytics_dailyrollup GROUP BY day, org_id, code_b, code_c) t")
        bc_rows = cur.fetchone()[0]

    for mod in (base, rising_mod, channels_mod):
        mod.cached = lambda name, scope, params, compute: compute()

    today = timezone.localdate()
    week = period_containing("week", today)
    last = preceding_periods(week, 1)[0]

    def cut(days: int) -> Period:
        return Period("week", last.start, last.start + timedelta(days=days - 1), to_date=True)

    rising_views = {
        f"week to date ({today:%a} {today})": period_to_date(week, today),
        "last week cut on Wednesday (3 days)": cut(3),
        "last week cut on Thursday (4 days)": cut(4),
        "last week cut on Saturday (6 days)": cut(6),
    }
    channel_views = {p: preset_period(p, today) for p in ("mtd", "last30", "qtd", "last_quarter")}
    users = {"head office": "ho_officer", "branch manager": "bj_manager"}
    dim = dimension("B", 3)
    daily_rows = DailyRollup.objects.count()
    facts = (
        f"{Complaint.objects.count():,} complaints; rollup {daily_rows:,} daily + {WeeklyRollup.objects.count():,} "
        f"weekly + {MonthlyRollup.objects.count():,} monthly rows; a day x org x B x C tier would hold "
        f"{bc_rows:,} rows ({bc_rows / daily_rows:.0%} of the daily table); today {today} ({today:%A})"
    )
    print(facts, flush=True)

    calls = []  # (section, user, label, fn)
    for who, username in users.items():
        user = User.objects.get(username=username)
        scope = resolve_scope(user, "")
        by_branch = who == "head office"
        for label, period in rising_views.items():
            calls.append(
                (
                    "rising",
                    who,
                    label,
                    lambda s=scope, p=period, b=by_branch: rising_mod.rising_result(s, p, dim, by_branch=b),
                )
            )
        for label, (period, compare) in channel_views.items():
            calls.append(
                (
                    "channels",
                    who,
                    f"{label} {period.start}~{period.end}",
                    lambda s=scope, p=period, c=compare: channels_mod.channel_mix(s, p, compare=c),
                )  # fmt: skip
            )

    load_before = os.getloadavg()
    began = time.perf_counter()
    results: dict[tuple, dict[str, list]] = {}
    for section, who, label, fn in calls:
        before_value, now_value = as_before(fn), fn()  # warm-up, and the results must be equal
        if repr(before_value) != repr(now_value):
            sys.exit(f"results differ: {section} {who} {label}")
        got = {"before": [], "now": []}
        for _ in range(args.samples):
            got["before"].append(as_before(lambda fn=fn: server_ms(fn)))
            got["now"].append(server_ms(fn))
        results[(section, who, label)] = got
        print(
            section, who, label, {k: round(statistics.median(s for s, _ in v), 1) for k, v in got.items()}, flush=True
        )
    elapsed = time.perf_counter() - began
    load_after = os.getloadavg()

    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared); {pg_version}; "
        f"Python {platform.python_version()}. {facts}. Command: `DATABASE_URL=… .venv/bin/python "
        f"bench/analytics_daily_reads.py --samples {args.samples}` ({elapsed:.0f} s). Load average (1, 5, 15 min) "
        f"at the start {fmt_load(load_before)}, at the end {fmt_load(load_after)}.",
        "",
        "Server = PostgreSQL planning + execution of each of the call's queries (EXPLAIN ANALYZE), "
        f"{args.samples} samples each way, alternating; before = 0007's index dropped and the old "
        "(day, org) index created in a rolled-back transaction.",
        "",
        "| section | user | view | index | server sum p50 ms | p95 | max | slowest query p50 ms | p95 |",
        "|---|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for (section, who, label), got in results.items():
        for way in ("before", "now"):
            lines.append(row(f"{section} | {who} | {label} | {way}", got[way]))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
