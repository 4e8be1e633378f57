"""Hot-topic panel (issue 16): the judgement of the former panel (every term fitted in full, and
everything fitted a second time when a phrase merges) against the current one (terms fitted once, a
term not said this week not fitted, phrases judged against that fit), in the same run, on the data
of ``bench/hot_terms.py`` (PostgreSQL; not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h4_bench \\
        nice -n 10 .venv/bin/python bench/hot_terms_judge.py [--samples 3] [--out bench/results/....md]

Seeds the calls and the counts with ``bench/hot_terms.py``'s generator when they are not there.
Both reads use the count table; the panel read alternates old / new per user, cache bypassed. The
two panels must be the same (terms, counts, spans, histories, intervals; expected count and ratio
to their two decimals; q-values to 1e-6 relative: the phrase's alpha is pooled without it): the
bench stops otherwise. On the old read's own weeks, ``judge`` and ``judge_full`` must give equal
results (exact dataclass equality). ``--stored`` then times the panel as the page gets it: the
beat job's refresh (``hot.refresh``) and reads of the stored result (``hot.hot_terms_for``).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import hot_terms as seedbench  # bench/hot_terms.py: sets Django up, seeds the calls
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone


def old_compute(scope, week):
    """The former panel (as committed in 558ecfe): judge_full, and judge_full again over the weeks
    with the phrases; the per-code breakdown is left out (the same on both sides)."""
    from analytics import hot_terms
    from analytics.selectors import hot

    weeks = hot._weeks_from_table(scope, week)
    result = hot_terms.judge_full(weeks, week)
    phrases = hot_terms.merge_candidates([r.term for r in result.rows])
    if phrases:
        said = {p: hot._phrase_calls(scope, p, week) for p in phrases}
        counts = {p: Counter(hot_terms.week_of(day) for _pk, day, _c in rows) for p, rows in said.items()}
        result = hot_terms.judge_full(hot_terms.with_phrases(weeks, counts), week)
    return result


def same(a, b) -> bool:
    if (a.term, a.current, a.week_count, a.span, a.history, a.lower, a.upper) != (
        b.term, b.current, b.week_count, b.span, b.history, b.lower, b.upper,
    ):  # fmt: skip
        return False
    return (
        abs(a.expected - b.expected) <= 0.011
        and abs((a.ratio or 0) - (b.ratio or 0)) <= 0.011
        and math.isclose(a.q_value, b.q_value, rel_tol=1e-6)
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--out", default="")
    parser.add_argument(
        "--stored",
        action="store_true",
        help="only the stored panel: the beat job's refresh, then reads (appended to --out)",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run on PostgreSQL: set DATABASE_URL=postgres://...")

    from accounts.models import User
    from analytics import hot_counts, hot_terms
    from analytics.models import HotTermCall, HotTermCount
    from analytics.selectors import hot, resolve_scope
    from recordings.models import CallRecording

    call_command("migrate", verbosity=0)
    if not User.objects.exists():
        call_command("seed_demo", "--quick", verbosity=0)
    today = timezone.localdate()
    week = today - timedelta(days=today.weekday())
    seedbench.seed(3000, today, print)
    if not HotTermCall.objects.exists():
        hot_counts.rebuild()
    calls = CallRecording.objects.filter(original_name__startswith="bench-hot-").count()
    rows = HotTermCount.objects.count()

    users = {
        "head office": User.objects.filter(role_grants__role="ho_officer", is_active=True).first(),
        "branch manager": User.objects.filter(
            role_grants__role="branch_manager", is_active=True, org=seedbench.plant_org_of(CallRecording)
        ).first(),
    }
    if args.stored:
        return stored(users, week, args)
    timings: dict[tuple[str, str], list[float]] = defaultdict(list)
    queries: dict[tuple[str, str], int] = {}
    notes: dict[str, str] = {}
    for who, user in users.items():
        scope = resolve_scope(user, None)
        for _ in range(args.samples):
            for how in ("old", "new"):
                with CaptureQueriesContext(connection) as ctx:
                    t0 = time.perf_counter()
                    if how == "old":
                        old = old_compute(scope, week)
                    else:
                        panel = hot._compute(scope, week)
                    timings[(who, how)].append((time.perf_counter() - t0) * 1000)
                queries[(who, how)] = len(ctx.captured_queries)
        new_rows = [r.term for r in panel.rows]  # HotTerm
        equal = len(new_rows) == len(old.rows[: hot.MAX_TERMS]) and all(
            same(a, b) for a, b in zip(new_rows, old.rows[: hot.MAX_TERMS], strict=True)
        )
        if not equal or (panel.judged, panel.calls) != (old.judged, old.calls):
            sys.exit(f"{who}: panels differ\nold {old}\nnew {panel}")
        # where the new read's time goes, and judge == judge_full on the same weeks
        t0 = time.perf_counter()
        weeks = hot._weeks_from_table(scope, week)
        t1 = time.perf_counter()
        family = hot_terms.fit_family(weeks, week)
        t2 = time.perf_counter()
        first = hot_terms.decide(family)
        t3 = time.perf_counter()
        full = hot_terms.judge_full(weeks, week)
        t4 = time.perf_counter()
        if (first.rows, first.judged) != (full.rows, full.judged):
            sys.exit(f"{who}: judge != judge_full")
        said = sum(1 for s in family.series if s.current > 0)
        notes[who] = (
            f"family {len(family.series)} terms ({said} said this week, fitted; the rest p = 1), "
            f"judged {panel.judged}; judge == judge_full on the table's weeks: True; panel old == new "
            f"(rows, counts, q within 1e-6): True; new split: table {1000 * (t1 - t0):.0f} ms, fit "
            f"{1000 * (t2 - t1):.0f} ms, decide {1000 * (t3 - t2):.0f} ms (judge_full {1000 * (t4 - t3):.0f} ms); "
            f"shown: {', '.join(r.term.term for r in panel.rows) or '-'}"
        )

    load = os.getloadavg()
    lines = [
        f"# Hot-topic panel: the judgement, full fit twice vs fitted once (H4, {today.isoformat()})",
        "",
        f"`DATABASE_URL=… nice -n 10 .venv/bin/python bench/hot_terms_judge.py --samples {args.samples}`",
        "",
        f"PostgreSQL {connection.pg_version}, Python {platform.python_version()}, 2 cores shared, "
        f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}.",
        "",
        f"Data: {calls} generated calls over 27 ISO weeks (`bench/hot_terms.py`'s generator), {rows} count rows.",
        "",
        "## Panel read from the count table (cache bypassed), ms",
        "",
        "| who | read | median | min | max | queries |",
        "|---|---|---|---|---|---|",
    ]
    for (who, how), ms in timings.items():
        label = "old: full fit (+ full fit again with phrases)" if how == "old" else "new: fit once + phrases + codes"
        lines.append(
            f"| {who} | {label} | {statistics.median(ms):.0f} | {min(ms):.0f} | {max(ms):.0f} | {queries[(who, how)]} |"
        )
    lines += ["", "## Checks"] + [f"- {who}: {text}" for who, text in notes.items()]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")


def stored(users, week, args) -> None:
    """The panel as the page gets it: the beat job's refresh (computes and stores), then reads of
    the stored result (LocMem cache in this process; Redis in production adds a round trip)."""
    from analytics.periods import Period
    from analytics.selectors import hot, resolve_scope

    period = Period("week", week, week + timedelta(days=6))
    lines = ["", "## Stored panel (`hot_terms_for`: the beat job's refresh, then 20 reads), ms", ""]
    lines += ["| who | refresh (beat job) | read median | read max | queries per read |", "|---|---|---|---|---|"]
    for who, user in users.items():
        scope = resolve_scope(user, None)
        t0 = time.perf_counter()
        hot.refresh(scope, week)
        refresh_ms = (time.perf_counter() - t0) * 1000
        reads, n = [], 0
        for _ in range(20):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                panel = hot.hot_terms_for(scope, period)
                reads.append((time.perf_counter() - t0) * 1000)
            n = len(ctx.captured_queries)
        assert panel.as_of is not None and panel.rows
        lines.append(f"| {who} | {refresh_ms:.0f} | {statistics.median(reads):.1f} | {max(reads):.1f} | {n} |")
    load = os.getloadavg()
    lines.append(f"\nLoad average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}.")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with Path(args.out).open("a", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
