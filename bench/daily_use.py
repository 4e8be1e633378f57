"""Issue 14's performance targets, measured on a load database without writing to it (not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5442/voc_h_load \\
        nice -n 10 .venv/bin/python bench/daily_use.py [--repeat 21] [--only "case page,inbox"]

In-process (Django's test client, no gunicorn), one user at a time: for the case page, the inbox,
head office's overview and the list's count, the p50 / p95 / max wall time of ``--repeat``
requests after one warm-up, this process's CPU, and the SQL queries of one request. The targets
of the issue are printed beside each figure with the verdict computed from them (fails closed:
a request that did not answer 200 is "FAIL").

Read-only on purpose (the load database is shared): every connection is opened with
``default_transaction_read_only``, sessions live in signed cookies, the login's receivers (``last_login``,
django-axes) do not run, and the inbox's "seen" mark (written only when something arrived since the user
last looked) is not written; any other write fails the request (its status shows it).

Side by side: ``BENCH_WORKLOAD=before`` puts back the assign form's COUNT(id) workload (before
4aef2e4), ``BENCH_JIT=on|off`` sets PostgreSQL's JIT for the run. ``--explain``: EXPLAIN ANALYZE
of the inbox's and overview's grouped counts and of the workload, before and now; ``--queries``:
each query of one request with its time. Results: bench/results/daily-use-2026-12-08-a.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voc.settings")

import django  # noqa: E402
from django.conf import settings  # noqa: E402

django.setup()
settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"

from django.contrib.auth import user_logged_in  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.backends.signals import connection_created  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from complaints.models import Complaint  # noqa: E402

JIT = os.environ.get("BENCH_JIT", "")  # "on" / "off": PostgreSQL's JIT for this run (default: the server's)


def _read_only(sender, connection, **kwargs) -> None:
    with connection.cursor() as cur:
        cur.execute("SET default_transaction_read_only = on")
        if JIT in ("on", "off"):
            cur.execute(f"SET jit = {JIT}")


connection_created.connect(_read_only)
# The login's receivers write (last_login, django-axes' access log): none of them runs here.
user_logged_in.receivers = []
user_logged_in.sender_receivers_cache.clear()
connection.close()  # the next query opens a read-only connection

import workflow.views  # noqa: E402

workflow.views.inbox_seen_mark = lambda **kwargs: None  # the one write of a GET (see the docstring)


def _workload_before(user):
    """The assign form's workload as before 4aef2e4: COUNT(id), read from the table's rows."""
    from django.db.models import Count, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from complaints.states import FINAL_STATES
    from workflow import selectors

    held = (
        Complaint.objects.filter(assigned_to=OuterRef("pk"))
        .exclude(status__in=sorted(FINAL_STATES))
        .order_by()
        .values("assigned_to")
        .annotate(n=Count("id"))
        .values("n")
    )
    return selectors.handlers_for_assignment(user).annotate(open_cases=Coalesce(Subquery(held), 0))


import workflow.actions  # noqa: E402

_workload_now = workflow.actions.handler_workload
if os.environ.get("BENCH_WORKLOAD") == "before":  # side by side with the code before 4aef2e4
    workflow.actions.handler_workload = _workload_before

USERS = {"head office": "ho_officer", "branch manager": "bj_manager", "branch handler": "bj_cy_handler"}
# (request, target p50 ms, target p95 ms, most queries); None: no target of that kind.
TARGETS = {
    "case page": (25, None, 10),
    "inbox": (None, 50, None),
    "HO overview": (None, 50, None),
    "count": (20, None, None),
    "count (filtered)": (20, None, None),
}


def requests_for(user: User) -> list[tuple[str, str]]:
    from accounts.selectors import scope_to_user

    newest = scope_to_user(Complaint.objects.order_by("-received_at", "-id"), user).values_list("pk", flat=True)
    out = [
        ("inbox", "/workflow/inbox/"),
        ("count", "/complaints/count/"),
        ("count (filtered)", "/complaints/count/?code_b=B030202&channel=hotline"),
    ]
    if user.at_head_office:
        out.append(("HO overview", "/workflow/overview/"))
    pk = newest.first()
    if pk:
        out.append(("case page", f"/workflow/case/{pk}/"))
    return out


def show_queries(client: Client, path: str) -> None:
    """Each SQL query of one request, with its time (the slowest first)."""
    with CaptureQueriesContext(connection) as ctx:
        client.get(path)
    for q in sorted(ctx.captured_queries, key=lambda q: -float(q["time"])):
        print(f"    {float(q['time']) * 1000:7.1f} ms  {q['sql'][:400]}")


def measure(client: Client, path: str, repeat: int) -> dict:
    client.get(path)  # warm-up (connections, templates, caches)
    times, cpu, queries, statuses = [], [], [], set()
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            t0, c0 = time.perf_counter(), time.process_time()
            r = client.get(path)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        statuses.add(r.status_code)
        queries.append(len(ctx.captured_queries))
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {
        "p50": statistics.median(times),
        "p95": p95,
        "max": times[-1],
        "cpu": statistics.median(cpu),
        "queries": max(queries),
        "status": sorted(statuses),
    }


def explain() -> None:
    """The plans of the grouped counts behind head office's inbox tiles and overview (read-only:
    EXPLAIN ANALYZE of a SELECT), with PostgreSQL's JIT timing when it ran."""
    from django.db.models import Count, Q
    from django.utils.timezone import localdate

    from workflow import selectors

    user = User.objects.get(username=USERS["head office"])
    buckets = selectors._buckets(localdate())
    counters = (
        selectors.worklist_for(user)
        .order_by()
        .values_list("status", "due_date")
        .annotate(n=Count("id"), unassigned=Count("id", filter=Q(assigned_to__isnull=True)))
    )
    per_org = (
        selectors.worklist_for(user)
        .values("responsible_org_id")
        .annotate(total=Count("id"), **{k: Count("id", filter=q) for k, q in buckets.items()})
        .order_by()
    )
    manager = User.objects.get(username=USERS["branch manager"])
    before = _workload_before(manager)
    for name, qs in (
        ("inbox counters", counters),
        ("overview per org", per_org),
        ("handler workload, COUNT(id) (before)", before),
        ("handler workload, handler_workload (now)", _workload_now(manager)),
    ):
        print(f"--- {name}")
        print(qs.explain(analyze=True))


def verdict(name: str, m: dict) -> str:
    if m["status"] != [200]:
        return "FAIL (status)"
    p50, p95, most = TARGETS.get(name, (None, None, None))
    missed = []
    if p50 is not None and m["p50"] > p50:
        missed.append(f"p50>{p50}")
    if p95 is not None and m["p95"] > p95:
        missed.append(f"p95>{p95}")
    if most is not None and m["queries"] > most:
        missed.append(f"queries>{most}")
    if p50 is None and p95 is None and most is None:
        return "-"
    return "miss " + ",".join(missed) if missed else "meets"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--only", default="", help="comma-separated request names")
    parser.add_argument("--queries", action="store_true", help="print each query of one request with its time")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the inbox's and overview's counts")
    args = parser.parse_args()
    only = {x.strip() for x in args.only.split(",") if x.strip()}
    from complaints.states import OPEN_STATES

    open_cases = Complaint.objects.filter(status__in=sorted(OPEN_STATES)).count()
    print(f"complaints: {Complaint.objects.count():,}  open ({len(OPEN_STATES)} open states): {open_cases:,}")
    with connection.cursor() as cur:
        cur.execute("SHOW jit")
        print(f"jit: {cur.fetchone()[0]}")
    if args.explain:
        explain()
        return
    print(f"{'user':15} {'request':17} {'p50':>7} {'p95':>7} {'max':>7} {'cpu':>6} {'q':>3}  status  verdict")
    for kind, username in USERS.items():
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        for name, path in requests_for(user):
            if only and name not in only:
                continue
            if args.queries:
                print(f"--- {kind} {name}")
                show_queries(client, path)
                continue
            m = measure(client, path, args.repeat)
            print(
                f"{kind:15} {name:17} {m['p50']:7.1f} {m['p95']:7.1f} {m['max']:7.1f} {m['cpu']:6.1f} "
                f"{m['queries']:3d}  {m['status']}  {verdict(name, m)}"
            )


if __name__ == "__main__":
    main()
