"""What the slow requests of a load run have in common (issue 12; not a test).

    .venv/bin/python bench/load/stalls.py [--state /tmp/voc-load] [--slow-ms 800] [--skip-s 30]

Reads what bench/load/run.py leaves in its state folder after ``--parts load``:
- load-events.csv: every request as locust saw it (end time, total ms, X-Load-Id);
- load-serve.log: gunicorn's access lines (X-Load-Id, worker pid, server time in µs) and Celery's
  task lines (which task, when it ended, how long it ran);
- load-pg.log: the bench cluster's checkpoints, autovacuum/autoanalyze runs, slow statements;
- load-cpu.jsonl: bench/load/sampler.py's CPU time per process group and CPU/I-O pressure.

For each request it splits the client's time into the server's time (gunicorn worker, from
accepting the request to the response) and the rest (waiting for a free worker in the listen
queue, the loopback, and locust itself). Then it groups the slow requests into episodes (runs of
seconds in which slow requests started) and prints, per episode, what else ran then: CPU per
group, pressure, Celery tasks, PostgreSQL events.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import statistics
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

# 8 digits (10 s or more) read to the log's PII mask as an ID-like number and come out starred.
ACCESS = re.compile(r'rid=(q\d+) pid=<(\d+)> us=(\d+|\*+) status=(\d+) "(\w+) ([^"]*)"')
CELERY = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\b.*? Task ([\w.]+)\[[^\]]+\] succeeded in ([\d.]+)s")
PG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) UTC \[(\d+)\] (.*)$")
GUNICORN = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) ([+-]\d{4})\] \[(\d+)\] \[\w+\] (.*)$")
TICK = 100  # clock ticks per second (os.sysconf("SC_CLK_TCK") on Linux)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")


def load(state: Path) -> dict:
    events = []
    with (state / "load-events.csv").open() as f:
        for row in csv.reader(f):
            t, kind, user, req, status, ok, ms, _err = row[:8]
            events.append({"end": float(t), "ms": float(ms), "req": req, "kind": kind, "user": user,
                           "ok": ok == "1", "rid": row[8] if len(row) > 8 else ""})  # fmt: skip
    server: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    tasks, gunicorn_lines = [], []
    serve_log = (state / "load-serve.log").read_text(errors="replace").splitlines()
    for line in serve_log:
        if m := ACCESS.search(line):
            server[m[1]].append((int(m[2]), int(m[3]) if m[3].isdigit() else 10_000_000, m[6]))
        elif m := CELERY.search(line):
            tasks.append((m[1], m[2], float(m[3])))
        elif m := GUNICORN.match(line):
            gunicorn_lines.append((m[1], m[2], m[3], m[4]))
    pg = []
    for line in (
        (state / "load-pg.log").read_text(errors="replace").splitlines() if (state / "load-pg.log").exists() else []
    ):
        if m := PG_LINE.match(line):
            t = datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC).timestamp()
            pg.append((t, m[3]))
        elif pg:  # continuation (a statement over several lines)
            pg[-1] = (pg[-1][0], pg[-1][1] + " " + line.strip())
    cpu = [json.loads(x) for x in (state / "load-cpu.jsonl").read_text().splitlines() if x.strip()]
    t0 = min(e["end"] - e["ms"] / 1000 for e in events)
    t1 = max(e["end"] for e in events)
    # Celery's log times are the worker's local time (Django sets TZ): find the offset that puts
    # the task lines inside the run.
    task_times = []
    if tasks:
        naive = [datetime.strptime(t, "%Y-%m-%d %H:%M:%S,%f") for t, _, _ in tasks]
        mid = naive[len(naive) // 2]
        offset = min(range(-14, 15), key=lambda h: abs((mid - timedelta(hours=h)).replace(
            tzinfo=UTC).timestamp() - (t0 + t1) / 2))  # fmt: skip
        for n, (_, name, dur) in zip(naive, tasks, strict=True):
            end = (n - timedelta(hours=offset)).replace(tzinfo=UTC).timestamp()
            task_times.append((end - dur, end, name, dur))
    gunicorn_events = []
    for stamp, tz, pid, text in gunicorn_lines:
        t = datetime.strptime(f"{stamp} {tz}", "%Y-%m-%d %H:%M:%S %z").timestamp()
        if t0 - 5 <= t <= t1 + 5:
            gunicorn_events.append((t, pid, text))
    for e in events:
        lines = server.get(e["rid"], [])
        e["server_ms"] = sum(us for _, us, _ in lines) / 1000 if lines else None
        e["pids"] = sorted({pid for pid, _, _ in lines})
        e["start"] = e["end"] - e["ms"] / 1000
    return {"events": events, "tasks": task_times, "pg": pg, "cpu": cpu, "gunicorn": gunicorn_events,
            "t0": t0, "t1": t1}  # fmt: skip


def episodes(slow: list[dict], gap: float = 1.5) -> list[list[dict]]:
    """Slow requests grouped by start time: a new episode when none started for ``gap`` s."""
    out: list[list[dict]] = []
    for e in sorted(slow, key=lambda e: e["start"]):
        if out and e["start"] - max(x["start"] for x in out[-1]) <= gap:
            out[-1].append(e)
        else:
            out.append([e])
    return out


def cpu_in(cpu: list[dict], a: float, b: float) -> tuple[dict[str, float], float, float, float]:
    """Cores used per group in [a, b], CPU and I/O pressure (share of the time some task waited)."""
    samples = [s for s in cpu if a <= s["t"] <= b]
    if not samples:
        return {}, 0.0, 0.0, 0.0
    span = max(b - a, 0.25)
    groups: Counter = Counter()
    for s in samples:
        for g, ticks in s["cpu"].items():
            key = "gunicorn (all workers)" if g.startswith("gunicorn:") else g
            groups[key] += ticks
    cores = {g: ticks / TICK / span for g, ticks in groups.most_common()}
    psi_cpu = sum(s["psi_cpu_us"] for s in samples) / 1e6 / span
    psi_io = sum(s["psi_io_us"] for s in samples) / 1e6 / span
    iowait = sum(s["iowait"] for s in samples) / TICK / span
    return cores, psi_cpu, psi_io, iowait


def fmt_cores(cores: dict[str, float], limit: int = 7) -> str:
    return ", ".join(f"{g} {c:.2f}" for g, c in list(cores.items())[:limit] if c >= 0.02)


def server_table(d: dict, skip_s: float) -> list[str]:
    """Per request type after ``skip_s``: client and server p50/p95/p99 (markdown rows)."""
    by: dict[str, list[dict]] = defaultdict(list)
    for e in d["events"]:
        if e["server_ms"] is not None and e["start"] >= d["t0"] + skip_s and e["req"] not in ("login", "login page"):
            by[e["req"]].append(e)
            by["(all)"].append(e)
    lines = ["| request | n | client p50 | client p95 | client p99 | server p50 | server p95 | server p99 | server max |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for req in sorted(by, key=lambda r: (r == "(all)", r)):
        c = [e["ms"] for e in by[req]]
        v = [e["server_ms"] for e in by[req]]
        lines.append(f"| {req} | {len(c)} | {pct(c, 50):,.0f} | {pct(c, 95):,.0f} | {pct(c, 99):,.0f} | "
                     f"{pct(v, 50):,.0f} | {pct(v, 95):,.0f} | {pct(v, 99):,.0f} | {max(v):,.0f} |")  # fmt: skip
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--state", type=Path, default=Path("/tmp/voc-load"))
    parser.add_argument("--slow-ms", type=float, default=800)
    parser.add_argument("--skip-s", type=float, default=30, help="leave out the sign-ins at the start")
    parser.add_argument("--episodes", type=int, default=12, help="how many episodes to detail")
    parser.add_argument("--table", action="store_true", help="only the per-request client/server table")
    args = parser.parse_args()
    d = load(args.state)
    if args.table:
        print("\n".join(server_table(d, args.skip_s)))
        return
    t0 = d["t0"]
    steady = [e for e in d["events"] if e["start"] >= t0 + args.skip_s and e["req"] not in ("login", "login page")]
    joined = [e for e in steady if e["server_ms"] is not None]
    print(f"requests after {args.skip_s:.0f} s: {len(steady)}; joined with the access log: {len(joined)}")
    ms = [e["ms"] for e in steady]
    print(f"client p50 {pct(ms, 50):.0f} p95 {pct(ms, 95):.0f} p99 {pct(ms, 99):.0f} max {max(ms):.0f} ms")
    srv = [e["server_ms"] for e in joined]
    wait = [e["ms"] - e["server_ms"] for e in joined]
    print(f"server p50 {pct(srv, 50):.0f} p95 {pct(srv, 95):.0f} p99 {pct(srv, 99):.0f} max {max(srv):.0f} ms; "
          f"client minus server p50 {pct(wait, 50):.0f} p95 {pct(wait, 95):.0f} p99 {pct(wait, 99):.0f} "
          f"max {max(wait):.0f} ms")  # fmt: skip
    # The server's interval of each request: it ended when locust got the answer (loopback), and
    # began server_ms earlier. How many workers were busy while a request waited tells a queue
    # for a worker (all busy) from a wait elsewhere (locust or the kernel not running it).
    for e in joined:
        e["srv_start"] = e["end"] - e["server_ms"] / 1000
    starts = sorted(joined, key=lambda e: e["srv_start"])

    def busy_during(a: float, b: float) -> float:
        """Mean number of requests in a worker's hands over [a, b]."""
        if b <= a:
            return 0.0
        total = 0.0
        for x in starts:
            if x["srv_start"] >= b:
                break
            total += max(0.0, min(b, x["end"]) - max(a, x["srv_start"]))
        return total / (b - a)

    slow = [e for e in joined if e["ms"] >= args.slow_ms]
    for e in slow:
        e["busy"] = busy_during(e["start"], e["srv_start"])
    print(f"\nslow (>= {args.slow_ms:.0f} ms): {len(slow)} ({len(slow) / max(1, len(joined)):.1%})")
    if slow:
        mostly_server = [e for e in slow if e["server_ms"] >= 0.5 * e["ms"]]
        print(f"  of which the server's time is at least half: {len(mostly_server)}; "
              f"waiting (queue/client) is most: {len(slow) - len(mostly_server)}")  # fmt: skip
        waiting = [e for e in slow if e["server_ms"] < 0.5 * e["ms"]]
        if waiting:
            busy = [e["busy"] for e in waiting]
            print(f"  while those waited, requests in workers' hands (4 workers): p10 {pct(busy, 10):.1f} "
                  f"p50 {pct(busy, 50):.1f} p90 {pct(busy, 90):.1f}")  # fmt: skip
        print("  by request:", dict(Counter(e["req"] for e in slow).most_common()))
        print("  by worker pid (server-heavy ones):", dict(Counter(p for e in mostly_server for p in e["pids"])))
        print("  server ms of the slow ones: p50 {:.0f} p90 {:.0f} max {:.0f}".format(
            pct([e["server_ms"] for e in slow], 50), pct([e["server_ms"] for e in slow], 90),
            max(e["server_ms"] for e in slow)))  # fmt: skip
    # Slowest server times (the app's own work, whatever the queue did)
    print("\nslowest server times:")
    for e in sorted(joined, key=lambda e: -e["server_ms"])[:12]:
        print(f"  +{e['start'] - t0:6.1f}s {e['req']:20} {e['user']:14} client {e['ms']:6.0f} server "
              f"{e['server_ms']:6.0f} pids {e['pids']}")  # fmt: skip
    eps = episodes(slow)
    print(f"\nepisodes: {len(eps)} (slow requests starting within 1.5 s of each other)")
    base_cores, base_psi, base_io, base_iow = cpu_in(d["cpu"], t0 + args.skip_s, d["t1"])
    print(f"whole steady run: cores {fmt_cores(base_cores)}; cpu pressure {base_psi:.2f}, io pressure "
          f"{base_io:.2f}, iowait {base_iow:.2f}")  # fmt: skip
    for ep in sorted(eps, key=len, reverse=True)[: args.episodes]:
        a = min(e["start"] for e in ep)
        b = max(e["end"] for e in ep)
        in_flight = [e for e in joined if e["start"] < b and e["end"] > a]
        srv_share = statistics.median(e["server_ms"] / e["ms"] for e in ep)
        busy = statistics.median(e["busy"] for e in ep)
        cores, psi, io, iow = cpu_in(d["cpu"], a, b)
        print(f"\n- +{a - t0:.1f}..+{b - t0:.1f}s ({b - a:.1f} s): {len(ep)} slow of {len(in_flight)} in flight; "
              f"median server share {srv_share:.0%}, workers busy while waiting {busy:.1f}; reqs {dict(Counter(e['req'] for e in ep).most_common(4))}")  # fmt: skip
        print(f"    cores: {fmt_cores(cores)}; cpu pressure {psi:.2f}, io pressure {io:.2f}, iowait {iow:.2f}")
        for s, e, name, dur in d["tasks"]:
            if s < b and e > a - 1:
                print(f"    celery {name} {s - t0:+.1f}..{e - t0:+.1f}s ({dur * 1000:.0f} ms)")
        for t, text in d["pg"]:
            if a - 5 <= t <= b + 1:
                print(f"    pg {t - t0:+.1f}s {text[:160]}")
        for t, pid, text in d["gunicorn"]:
            if a - 2 <= t <= b + 1:
                print(f"    gunicorn {t - t0:+.1f}s [{pid}] {text[:120]}")
    # Background work over the whole run, for comparison
    print("\ncelery tasks in the run (count, total s, max ms):")
    by: dict[str, list[float]] = defaultdict(list)
    for s, _e, name, dur in d["tasks"]:
        if s >= t0:
            by[name].append(dur)
    for name, durs in sorted(by.items(), key=lambda x: -sum(x[1])):
        print(f"  {name:45} {len(durs):5d} {sum(durs):8.1f} {max(durs) * 1000:8.0f}")
    print("\npostgres events in the run:")
    for t, text in d["pg"]:
        if t >= t0 and ("checkpoint" in text or "automatic" in text or "lock" in text):
            print(f"  {t - t0:+7.1f}s {text[:200]}")
    slow_sql = [(t, text) for t, text in d["pg"] if t >= t0 and text.startswith("duration")]
    print(f"  statements over log_min_duration_statement: {len(slow_sql)}")
    for t, text in slow_sql[:15]:
        print(f"  {t - t0:+7.1f}s {text[:220]}")


if __name__ == "__main__":
    main()
