"""Load and fault benchmark of the production stack (issue 12; not a test).

    .venv/bin/python bench/load/run.py                      # seed 1M, load 5 min, faults, report
    .venv/bin/python bench/load/run.py --parts load,report  # reuse the seeded data

1. seed: bench/load/seed.py in bulk on a dedicated PostgreSQL cluster (port 5442, database
   voc_h_load), timed;
2. up: scripts/serve with production settings (gunicorn, default/analytics worker, beat) from a
   throwaway env file (random keys, /tmp, mode 0600), Redis of its own on port 6395 (broker DB 5,
   cache DB 6), and a transcription worker started apart (so that it can be killed);
3. load: locust headless, 100 users (head office, branches, intake) for 5 minutes;
4. faults, under the same load: kill -9 of the transcription worker mid-job and its restart;
   a PostgreSQL restart; Redis stopped for 60 s. What each kind of user saw, per window;
5. report: bench/results/load-<date>.md. Everything started here is stopped at the end.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stack
from report import write_report

ROOT = stack.ROOT
STATE = stack.STATE
RESULTS = STATE / "results.json"


def uptime() -> str:
    return Path("/proc/loadavg").read_text().split(" ")[:3].__str__().replace("'", "")


def psql(sql: str) -> list[list[str]]:
    out = stack.sh("psql", "-h", "127.0.0.1", "-p", str(stack.PG_PORT), "-U", "postgres", "-d", stack.DB_NAME,
                   "-AtF", "\t", "-c", sql).stdout  # fmt: skip
    return [line.split("\t") for line in out.splitlines() if line]


def load_results() -> dict:
    return json.loads(RESULTS.read_text()) if RESULTS.exists() else {}


def save(results: dict) -> None:
    RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False))


# --- seed ----------------------------------------------------------------------------


def seed(rows: int, results: dict) -> None:
    stack.ensure_postgres()
    exists = stack.sh("psql", "-h", "127.0.0.1", "-p", str(stack.PG_PORT), "-U", "postgres", "-Atc",
                      f"SELECT 1 FROM pg_database WHERE datname = '{stack.DB_NAME}'").stdout.strip()  # fmt: skip
    if not exists:
        stack.sh("psql", "-h", "127.0.0.1", "-p", str(stack.PG_PORT), "-U", "postgres", "-c",
                 f"CREATE DATABASE {stack.DB_NAME}")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ENV"}
    env["DATABASE_URL"] = stack.DATABASE_URL
    before = uptime()
    t0 = time.monotonic()
    out = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "bench/load/seed.py", "--rows", str(rows), "--password-file",
         str(stack.PASSWORD_FILE)], cwd=ROOT, env=env, text=True, capture_output=True, check=True,
    ).stdout  # fmt: skip
    line = next(x for x in out.splitlines() if x.startswith("SEED "))
    results["seed"] = {**json.loads(line[5:]), "wall_s": time.monotonic() - t0, "load_before": before,
                       "load_after": uptime()}  # fmt: skip
    save(results)
    print("seed:", results["seed"], flush=True)


# --- locust and its events -----------------------------------------------------------


def locust(users: int, seconds: int, name: str, *, spawn_rate: float = 10) -> subprocess.Popen:
    events = STATE / f"{name}-events.csv"
    events.unlink(missing_ok=True)
    env = {**os.environ, "VOC_LOAD_EVENTS": str(events), "VOC_LOAD_PASSWORD_FILE": str(stack.PASSWORD_FILE)}
    return subprocess.Popen(
        [str(ROOT / ".venv/bin/locust"), "-f", "bench/load/locustfile.py", "--headless", "-u", str(users), "-r",
         str(spawn_rate), "-t", f"{seconds}s", "--host", stack.HOST, "--csv", str(STATE / name),
         "--only-summary", "--stop-timeout", "15", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=(STATE / f"{name}-locust.log").open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def read_events(name: str) -> list[tuple]:
    rows = []
    with (STATE / f"{name}-events.csv").open() as f:
        for row in csv.reader(f):
            t, kind, user, req, status, ok, ms, err = row[:8]
            rid = row[8] if len(row) > 8 else ""  # the X-Load-Id the access log records
            rows.append((float(t), kind, user, req, int(status), ok == "1", float(ms), err, rid))
    return rows


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def summarise(rows: list[tuple], start: float, end: float) -> dict:
    """Per request name: count, errors (by status/reason), p50/p95/p99, req/s in [start, end)."""
    span = max(end - start, 1e-9)
    by: dict[str, list[tuple]] = defaultdict(list)
    for r in rows:
        if start <= r[0] < end:
            by[r[3]].append(r)
            by["(all)"].append(r)
    out = {}
    for req, rs in sorted(by.items()):
        ms = [r[6] for r in rs]
        errors = Counter(f"{r[4]} {r[7][:60]}".strip() for r in rs if not r[5])
        out[req] = {"n": len(rs), "rps": len(rs) / span, "errors": sum(errors.values()), "error_kinds": dict(errors),
                    "p50": pct(ms, 50), "p95": pct(ms, 95), "p99": pct(ms, 99), "max": max(ms)}  # fmt: skip
    return out


def by_kind(rows: list[tuple], start: float, end: float) -> dict:
    """What each kind of user saw in a window: requests, failures by status, slowest."""
    out: dict[str, dict] = {}
    for kind in sorted({r[1] for r in rows}):
        rs = [r for r in rows if r[1] == kind and start <= r[0] < end]
        if not rs:
            continue
        errs = Counter(f"{r[3]}: {r[4] or r[7][:50]}" for r in rs if not r[5])
        users = {r[2] for r in rs}
        users_hit = {r[2] for r in rs if not r[5]}
        ms = [r[6] for r in rs]
        out[kind] = {"requests": len(rs), "failed": sum(errs.values()), "failures": dict(errs.most_common(8)),
                     "accounts": len(users), "accounts_with_a_failure": len(users_hit), "p95": pct(ms, 95),
                     "max": max(ms)}  # fmt: skip
    return out


def first_ok_after(rows: list[tuple], t: float) -> float | None:
    later = [r[0] for r in rows if r[0] >= t and r[5]]
    return min(later) - t if later else None


def last_error_before(rows: list[tuple], t0: float, t1: float) -> float | None:
    errs = [r[0] for r in rows if t0 <= r[0] < t1 and not r[5]]
    return max(errs) - t0 if errs else None


# --- load ----------------------------------------------------------------------------


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all cores since boot (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


PG_LOG = Path(f"/var/log/postgresql/postgresql-{stack.PG_VERSION}-{stack.PG_CLUSTER}.log")


def run_load(users: int, seconds: int, results: dict) -> None:
    import resource

    from sampler import Sampler

    before = uptime()
    children_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy0, total0 = cpu_ticks()
    pg_log_at = PG_LOG.stat().st_size if PG_LOG.exists() else 0
    serve_log_at = (STATE / "serve.log").stat().st_size if (STATE / "serve.log").exists() else 0
    sampler = Sampler(STATE / "load-cpu.jsonl", f"VOC_ENV_FILE={stack.ENV_FILE}".encode())
    sampler.start()
    t0 = time.time()
    proc = locust(users, seconds, "load")
    proc.wait(timeout=seconds + 120)
    t1 = time.time()
    sampler.stop()
    # What the stall analysis (bench/load/stalls.py) reads besides the events: this run's part of
    # the PostgreSQL log (checkpoints, autovacuum, slow statements, lock waits) and of serve.log
    # (gunicorn's access lines with X-Load-Id, worker pid and time; Celery's task lines).
    for src, at, dst in ((PG_LOG, pg_log_at, "load-pg.log"), (STATE / "serve.log", serve_log_at, "load-serve.log")):
        if src.exists():
            with src.open("rb") as f:
                f.seek(at)
                (STATE / dst).write_bytes(f.read())
    busy1, total1 = cpu_ticks()
    after_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = {
        "machine_busy": (busy1 - busy0) / max(1, total1 - total0),  # share of all cores
        "machine_busy_core_s": (busy1 - busy0) / ticks,
        "locust_core_s": (after_cpu.ru_utime + after_cpu.ru_stime) - (children_cpu.ru_utime + children_cpu.ru_stime),
    }
    rows = read_events("load")
    warm = t0 + 30
    results["load"] = {
        "users": users, "seconds": seconds, "load_before": before, "load_after": uptime(),
        "all": summarise(rows, t0, t1 + 60), "steady": summarise(rows, warm, t1 + 60),
        "by_kind": by_kind(rows, t0, t1 + 60), "duration_s": t1 - t0, "locust_rc": proc.returncode,
        "think_s": [os.environ.get("VOC_LOAD_THINK_MIN", "1"), os.environ.get("VOC_LOAD_THINK_MAX", "3")],
        "t0": t0, "t1": t1,
        "cpu": cpu,
    }  # fmt: skip
    save(results)
    a = results["load"]["all"]["(all)"]
    print(f"load: {a['n']} requests, {a['rps']:.1f}/s, errors {a['errors']}, p95 {a['p95']:.0f} ms", flush=True)


# --- faults --------------------------------------------------------------------------


class Api:
    """A signed-in agent for uploads and polling (the same way the locust users sign in)."""

    def __init__(self):
        import requests

        self.s = requests.Session()
        origin = stack.HOST.replace("http://", "https://")
        self.s.headers.update({"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1", "Origin": origin,
                               "Referer": origin + "/"})  # fmt: skip
        self.sign_in()

    def sign_in(self) -> None:
        self.s.get(stack.HOST + "/login/", timeout=30)
        self.unsecure()
        r = self.s.post(
            stack.HOST + "/login/",
            data={"username": "agent", "password": stack.PASSWORD_FILE.read_text().strip(),
                  "csrfmiddlewaretoken": self.s.cookies.get("csrftoken", "")},
            allow_redirects=False, timeout=30,
        )  # fmt: skip
        self.unsecure()
        if r.status_code != 302:
            raise RuntimeError(f"driver sign-in failed: {r.status_code}")

    def unsecure(self) -> None:
        for cookie in self.s.cookies:  # as locustfile.unsecure: the TLS proxy is imaginary
            cookie.secure = False

    def upload(self, wav: Path) -> tuple[int, dict]:
        r = self.s.post(
            stack.HOST + "/api/v1/recordings/",
            files={"file": (wav.name, wav.read_bytes(), "audio/wav")},
            data={"language": "en"},
            headers={"X-CSRFToken": self.s.cookies.get("csrftoken", "")},
            timeout=120,
        )
        try:
            return r.status_code, r.json()
        except ValueError:
            return r.status_code, {"body": r.text[:200]}

    def recording(self, pk: int) -> dict:
        for _ in range(3):
            try:
                r = self.s.get(f"{stack.HOST}/api/v1/recordings/{pk}/", timeout=30)
                if r.status_code == 200:
                    return r.json()
            except Exception:  # the app may be mid-fault
                pass
            time.sleep(1)
        return {}


def make_audio(n: int) -> Path:
    """A spoken English call (espeak-ng), different each time (uploads are deduplicated by hash)."""
    out = STATE / f"call-{n}-{int(time.time())}.wav"
    words = "customer called about the annual fee on the credit card and asked for a refund of the charge "
    text = f"Call number {n}. " + " ".join(words for _ in range(14)) + f" reference {random.randint(1000, 9999)}."
    stack.sh("espeak-ng", "-v", "en", "-s", "150", "-w", str(out), text)
    return out


def recording_facts(pk: int) -> dict:
    row = psql(f"SELECT status, attempts, losses, started_at, finished_at, failure_reason FROM "
               f"recordings_callrecording WHERE id = {pk}")  # fmt: skip
    seg = psql(f"SELECT count(*), count(DISTINCT index) FROM recordings_transcriptsegment WHERE recording_id = {pk}")
    status, attempts, losses, started, finished, reason = row[0] if row else [""] * 6
    return {"status": status, "attempts": int(attempts or 0), "losses": int(losses or 0), "started_at": started,
            "finished_at": finished, "failure_reason": reason, "segments": int(seg[0][0]),
            "distinct_segment_indexes": int(seg[0][1])}  # fmt: skip


def wait_status(api: Api, pk: int, want: set[str], timeout: float) -> tuple[str, float]:
    t0 = time.monotonic()
    status = ""
    while time.monotonic() - t0 < timeout:
        status = recording_facts(pk)["status"]
        if status in want:
            break
        time.sleep(1)
    return status, time.monotonic() - t0


def worker_done_lines(worker: stack.Process) -> int:
    """How many transcription jobs this worker finished with a stored result ('done')."""
    text = worker.log.read_text(errors="replace") if worker.log.exists() else ""
    return sum(1 for line in text.splitlines() if "succeeded" in line and "'done'" in line)


def run_faults(users: int, results: dict, worker: stack.Process) -> stack.Process:
    faults: dict = {"load_before": uptime()}
    t_start = time.time()
    proc = locust(users, 1500, "faults")
    time.sleep(45)
    api = Api()
    marks: dict[str, float] = {"start": t_start}

    # 1. kill -9 of the transcription worker mid-job
    marks["worker_start"] = time.time()
    code, a = api.upload(make_audio(1))
    pk_a = a.get("id")
    status, waited = wait_status(api, pk_a, {"processing", "done", "no_speech", "failed"}, 300)
    time.sleep(4)
    facts_before_kill = recording_facts(pk_a)
    marks["worker_kill"] = time.time()
    worker.kill9_group()
    code_b, b = api.upload(make_audio(2))  # queued while no transcription worker is alive
    time.sleep(5)
    marks["worker_restart"] = time.time()
    worker = stack.start_transcription_worker(2)
    st_a, t_a = wait_status(api, pk_a, {"done", "no_speech", "failed"}, 600)
    st_b, t_b = wait_status(api, b.get("id"), {"done", "no_speech", "failed"}, 600)
    marks["worker_end"] = time.time()
    faults["worker"] = {
        "upload_status": code, "recording": pk_a, "status_at_kill": facts_before_kill["status"],
        "waited_for_processing_s": waited, "killed_at_s": marks["worker_kill"] - t_start,
        "done_after_restart_s": t_a, "queued_done_after_restart_s": t_a + t_b, "status_a": st_a, "status_b": st_b,
        "after": recording_facts(pk_a), "queued_during_kill": {"upload_status": code_b, "recording": b.get("id"),
        "after": recording_facts(b.get("id")) if b.get("id") else {}}, "restarted_worker_done_lines":
        worker_done_lines(worker),
    }  # fmt: skip
    save({**results, "faults": faults})
    time.sleep(20)

    # 2. PostgreSQL restart
    marks["pg_start"] = time.time()
    faults["postgres"] = {"restart_s": stack.pg_ctl("restart")}
    marks["pg_up"] = time.time()
    time.sleep(60)
    marks["pg_end"] = time.time()
    faults["postgres"]["healthz_after"] = stack.healthz()[0]

    # 3. Redis stopped for 60 s
    intake_before = int(psql("SELECT count(*) FROM complaints_complaint WHERE received_at > now() - interval '2 hours'"
                             )[0][0])  # fmt: skip
    marks["redis_start"] = time.time()
    stack.redis_stop()
    time.sleep(10)
    code_c, c = api.upload(make_audio(3))
    faults["redis"] = {"healthz_during": stack.healthz()[0], "upload_during_status": code_c,
                       "recording": c.get("id")}  # fmt: skip
    time.sleep(50)
    stack.redis_start()
    marks["redis_up"] = time.time()
    pending = []
    for _ in range(36):  # up to 3 minutes for the outbox and the queued recording
        n = int(psql("SELECT count(*) FROM analytics_rolluppending")[0][0])
        st_c = recording_facts(c["id"])["status"] if c.get("id") else ""
        pending.append((round(time.time() - marks["redis_up"]), n, st_c))
        if n == 0 and st_c in ("done", "no_speech", "failed", ""):
            break
        time.sleep(5)
    marks["redis_end"] = time.time()
    proc.terminate()
    proc.wait(timeout=120)
    t_end = time.time()
    time.sleep(5)
    faults["redis"].update(
        {"pending_after_return": pending, "recording_after": recording_facts(c["id"]) if c.get("id") else {},
         "healthz_after": stack.healthz()[0]}
    )  # fmt: skip
    faults["redis"]["analytics_check"] = rollup_check()
    faults["redis"]["intake_rows_last_2h_before"] = intake_before

    rows = read_events("faults")
    windows = {
        "baseline": (t_start + 30, marks["worker_start"]),
        "worker kill -> job done": (marks["worker_kill"], marks["worker_end"]),
        "PostgreSQL restart + 60 s": (marks["pg_start"], marks["pg_end"]),
        "Redis down (60 s)": (marks["redis_start"], marks["redis_up"]),
        "after Redis returns": (marks["redis_up"], t_end),
    }
    faults["windows"] = {}
    for name, (a, b) in windows.items():
        per_request = summarise(rows, a, b)
        faults["windows"][name] = {
            "from_s": a - t_start, "to_s": b - t_start, "summary": per_request.get("(all)", {}),
            "by_kind": by_kind(rows, a, b), "by_request": per_request,
        }  # fmt: skip
    faults["postgres"].update(
        {"first_ok_after_s": first_ok_after(rows, marks["pg_start"]),
         "last_error_after_start_s": last_error_before(rows, marks["pg_start"], marks["pg_end"])}
    )  # fmt: skip
    faults["redis"].update(
        {"last_error_after_return_s": (last_error_before(rows, marks["redis_up"], t_end) or 0)}
    )  # fmt: skip
    faults["marks"] = {k: v - t_start for k, v in marks.items()}
    faults["load_after"] = uptime()
    results["faults"] = faults
    save(results)
    return worker


ROLLUP_SQL = (
    "SELECT day, sum(total), sum(decided), sum(fr_count) FROM analytics_dailyrollup "
    "WHERE day >= current_date - 2 GROUP BY 1 ORDER BY 1"
)


def rollup_check() -> dict:
    """Nothing lost or counted twice: the rollup kept up to date by the analytics jobs (through
    the faults) must equal a rebuild from the raw cases (manage.py rollup_rebuild) for the days
    the bench registered cases on."""
    incremental = psql(ROLLUP_SQL)
    start = incremental[0][0] if incremental else str(date.today())
    stack.sh(str(ROOT / ".venv/bin/python"), "manage.py", "rollup_rebuild", "--start", start, cwd=ROOT,
             env=stack.app_env())  # fmt: skip
    rebuilt = psql(ROLLUP_SQL)
    return {"incremental": incremental, "rebuilt": rebuilt, "equal": incremental == rebuilt}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--parts", default="seed,load,faults,report")
    parser.add_argument("--out", default="", help="report path (default bench/results/load-<date>.md)")
    args = parser.parse_args()
    # SIGTERM (and SIGINT, which a shell's background job ignores) end the run through the
    # ``finally`` below, which stops everything this bench started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parts = set(args.parts.split(","))
    results = load_results()
    results["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(), "date": str(date.today()),
                          "postgres": stack.sh("psql", "--version").stdout.strip()}  # fmt: skip
    if "seed" in parts:
        seed(args.rows, results)
    serve = worker = None
    try:
        if parts & {"load", "faults"}:
            serve = stack.start_serve()
            worker = stack.start_transcription_worker(1)
            results["healthy_after_s"] = stack.wait_healthy(180)
            results["complaints_at_start"] = int(psql("SELECT count(*) FROM complaints_complaint")[0][0])
            save(results)
        if "load" in parts:
            run_load(args.users, args.seconds, results)
        if "faults" in parts:
            worker = run_faults(args.users, results, worker)
    finally:
        if worker is not None:
            worker.stop()
        if serve is not None:
            results["serve_stop_rc"] = serve.stop(timeout=180)
        results["killed_after_stop"] = stack.kill_leftovers()
        results["leftover_processes"] = stack.leftovers()
        save(results)
    if "report" in parts:
        path = Path(args.out) if args.out else ROOT / "bench" / "results" / f"load-{date.today()}.md"
        write_report(results, path)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
