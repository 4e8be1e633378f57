"""Service time of each page the load bench requests, one user at a time (issue 12; not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5442/voc_h_load \\
        .venv/bin/python bench/load/pages.py [--repeat 7] [--profile "TOP page"]

In-process (Django's test client, no gunicorn, no network): for each request type of
bench/load/locustfile.py and each kind of user, the median and max wall time of ``--repeat``
requests after one warm-up, and the SQL queries one request makes (count and time). This is
the work a request costs the server; the load bench adds queueing on top. ``--profile NAME``
prints cProfile's top functions for one request type.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voc.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from complaints.models import Complaint  # noqa: E402

USERS = {"head_office": "ho_officer", "branch manager": "bj_manager", "branch handler": "bj_cy_handler"}


def requests_for(user: User) -> list[tuple[str, str, str]]:
    """(name, method, path) as the locustfile asks for them."""
    from accounts.selectors import scope_to_user

    case = scope_to_user(Complaint.objects.order_by("-received_at"), user).values_list("pk", "reference").first()
    out = [
        ("list", "get", "/complaints/"),
        ("list (filtered)", "get", "/complaints/?code_b=B030202&channel=hotline"),
        ("search", "get", "/complaints/?q=年费"),
        ("search (rare)", "get", "/complaints/?q=保险箱"),  # a word no seeded case holds
        # The list's count, asked for by htmx after the rows (issue 14; 404 before it existed).
        ("count", "get", "/complaints/count/"),
        ("count (filtered)", "get", "/complaints/count/?code_b=B030202&channel=hotline"),
        ("count (search)", "get", "/complaints/count/?q=年费"),
        ("count (search rare)", "get", "/complaints/count/?q=保险箱"),
        ("inbox", "get", "/workflow/inbox/"),
        ("my cases", "get", "/workflow/mine/"),
        ("TOP page", "get", "/analytics/"),
        ("TOP page (month)", "get", "/analytics/?kind=month"),
        ("TOP page (quarter, C)", "get", "/analytics/?kind=quarter&axis=C"),
    ]
    if case:
        out += [("workflow case page", "get", f"/workflow/case/{case[0]}/"),
                ("case page (redirect)", "get", f"/complaints/{case[1]}/")]  # fmt: skip
    return out


def measure(client: Client, method: str, path: str, repeat: int, *, cold: bool = False, slow_ms: float = 0) -> dict:
    """Times of ``repeat`` requests after a warm-up; ``cold``: the cache is emptied before each."""
    from django.core.cache import cache

    getattr(client, method)(path)  # warm-up (connections, templates)
    times, cpu, queries, query_ms, statuses = [], [], [], [], set()
    for _ in range(repeat):
        if cold:
            cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            t0, c0 = time.perf_counter(), time.process_time()
            r = getattr(client, method)(path)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        statuses.add(r.status_code)
        queries.append(len(ctx.captured_queries))
        query_ms.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
    for q in ctx.captured_queries if slow_ms else ():
        if float(q["time"]) * 1000 >= slow_ms:
            print(f"    slow {float(q['time']) * 1000:.0f} ms: {q['sql'][:300] + ' ... ' + q['sql'][-1200:]}")
    return {"median": statistics.median(times), "max": max(times), "cpu": statistics.median(cpu), "queries": max(queries),
            "sql_ms": statistics.median(query_ms), "status": sorted(statuses)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--profile", default="")
    parser.add_argument("--only", default="", help="comma-separated request names")
    parser.add_argument("--cold", action="store_true", help="empty the cache before each request")
    parser.add_argument("--slow", type=float, default=0, help="print the last request's queries slower than this (ms)")
    args = parser.parse_args()
    only = {x.strip() for x in args.only.split(",") if x.strip()}
    print(
        f"{'user':16} {'request':24} {'median ms':>9} {'max ms':>8} {'cpu ms':>7} {'queries':>7} {'sql ms':>7}  status"
    )
    for kind, username in USERS.items():
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        for name, method, path in requests_for(user):
            if only and name not in only:
                continue
            if args.profile and name == args.profile:
                getattr(client, method)(path)
                prof = cProfile.Profile()
                prof.enable()
                for _ in range(args.repeat):
                    getattr(client, method)(path)
                prof.disable()
                print(f"--- profile: {kind} {name} ({args.repeat} requests)")
                pstats.Stats(prof).sort_stats("cumulative").print_stats(35)
                continue
            m = measure(client, method, path, args.repeat, cold=args.cold, slow_ms=args.slow)
            print(
                f"{kind:16} {name:24} {m['median']:9.1f} {m['max']:8.1f} {m['cpu']:7.1f} {m['queries']:7d} {m['sql_ms']:7.1f}  {m['status']}"
            )


if __name__ == "__main__":
    main()
