"""Write bench/results/load-<date>.md from the driver's results (bench/load/run.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ORDER = ["login page", "login", "intake (API)", "list", "list (filtered)", "search", "case page", "inbox",
         "my cases", "workflow case page", "TOP page", "(all)"]  # fmt: skip


def _ms(v) -> str:
    return "–" if v is None or v != v else f"{v:,.0f}"


def request_table(summary: dict) -> list[str]:
    lines = [
        "| request | n | req/s | errors | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    names = [n for n in ORDER if n in summary] + sorted(set(summary) - set(ORDER))
    for name in names:
        s = summary[name]
        label = f"**{name}**" if name == "(all)" else name
        lines.append(
            f"| {label} | {s['n']:,} | {s['rps']:.1f} | {s['errors']} | {_ms(s['p50'])} | {_ms(s['p95'])} | "
            f"{_ms(s['p99'])} | {_ms(s['max'])} |"
        )
    errs = {n: s["error_kinds"] for n, s in summary.items() if s["error_kinds"] and n != "(all)"}
    if errs:
        lines.append("")
        lines.append("Errors: " + "; ".join(f"{n}: {k}" for n, k in errs.items()))
    return lines


def kind_table(by_kind: dict) -> list[str]:
    lines = ["| users | accounts | requests | failed | accounts with a failure | p95 ms | max ms | failures (request: status) |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]  # fmt: skip
    for kind, k in by_kind.items():
        fails = ", ".join(f"{f} ×{n}" for f, n in k["failures"].items()) or "none"
        lines.append(
            f"| {kind} | {k['accounts']} | {k['requests']:,} | {k['failed']} | {k['accounts_with_a_failure']} | "
            f"{_ms(k['p95'])} | {_ms(k['max'])} | {fails} |"
        )
    return lines


def write_report(r: dict, path: Path) -> None:
    m = r.get("machine", {})
    out = [f"# Load and faults on the production stack — {m.get('date', '')}", ""]
    out += [
        f"- Machine: {m.get('cpus')} cores (whatever else ran shows in the load averages below); "
        f"{m.get('postgres')}; Python {m.get('python')}. The load generator (locust, one process) runs on the same cores.",
        "- Stack: `scripts/serve` with production settings (`DJANGO_ENV=production`, DEBUG off): gunicorn 4 sync "
        "workers on 127.0.0.1:8765, a Celery worker `default@` (queues default + analytics, 2 processes), beat; "
        "a transcription worker started apart as the README's 'more transcription workers' section does "
        "(`-Q transcription -n transcription1@%h -c 1`, faster-whisper base, 1 thread). PostgreSQL 15 in a cluster "
        "of its own (port 5442, shared_buffers 1 GB), Redis of its own (port 6395; broker DB 5, cache DB 6 as "
        "`REDIS_URL`), so that restarting them touches no other work. Keys: a throwaway env file with random keys "
        "(not committed).",
        "- The TLS proxy is imagined: requests carry `X-Forwarded-Proto: https` and `X-Forwarded-For` as nginx would "
        "(`VOC_TRUSTED_PROXIES=1`) and the clients send the Secure cookies over the loopback hop; no TLS cost is measured.",
    ]
    s = r.get("seed")
    if s:
        rate = s["complaints"] / max(s["cases_s"] + s["customers_s"], 1e-9)
        out += [
            f"- Data: {s['complaints']:,} complaints (bench/workflow.py's generator: two years, 14 states by age, "
            f"handlers, extensions, verifications, pauses) + one customer per three cases; seeded in bulk in "
            f"{s['wall_s']:.0f} s wall: cases {s['cases_s']:.0f} s, customers and details {s['customers_s']:.0f} s "
            f"({rate:,.0f} cases/s for the two), rollup rebuild {s['rollup_s']:.0f} s; load average before "
            f"{s['load_before']}, after {s['load_after']}.",
        ]
    out += [""]
    load = r.get("load")
    if load:
        a = load["all"]["(all)"]
        out += [
            f"## Load: {load['users']} users for {load['seconds']} s",
            "",
            f"Users: 30 head office (ho_officer, ho_approver, auditor), 50 branch (managers and handlers of the 5 "
            f"branches and 10 sub-branches, each seeing its subtree), 20 intake (agent, API registration); each "
            f"signs in once, then clicks with {load['think_s'][0]}–{load['think_s'][1]} s think time between requests. "
            f"Spawned at 10 users/s. Load average (1/5/15 min) before: {load['load_before']}; after: {load['load_after']}.",
            *(
                [
                    "",
                    f"CPU during the run (/proc/stat): all cores {load['cpu']['machine_busy']:.0%} busy "
                    f"({load['cpu']['machine_busy_core_s']:,.0f} core-seconds), of which the locust load generator "
                    f"{load['cpu']['locust_core_s']:,.0f} core-seconds.",
                ]
                if load.get("cpu")
                else []
            ),
            "",
            f"Whole run: **{a['n']:,} requests, {a['rps']:.1f} req/s, {a['errors']} errors, p50 {_ms(a['p50'])} ms, "
            f"p95 {_ms(a['p95'])} ms, p99 {_ms(a['p99'])} ms**.",
            "",
            *request_table(load["all"]),
            "",
            "After the first 30 s (sign-ins and spawning done):",
            "",
            *request_table(load["steady"]),
            "",
            "By kind of user (whole run):",
            "",
            *kind_table(load["by_kind"]),
            "",
        ]
    f = r.get("faults")
    if f:
        w = f.get("worker", {})
        pg = f.get("postgres", {})
        rd = f.get("redis", {})
        out += [
            f"## Faults under the same load ({load['users'] if load else ''} users)",
            "",
            f"Load average before: {f['load_before']}; after: {f.get('load_after')}. Times are seconds from the "
            f"start of that locust run: {json.dumps({k: round(v) for k, v in f.get('marks', {}).items()})}.",
            "",
            "### kill -9 of the transcription worker mid-job",
            "",
            f"- Recording {w.get('recording')} (espeak-ng English call, upload HTTP {w.get('upload_status')}) was "
            f"`{w.get('status_at_kill')}` when the worker's process group (main process and pool child) got SIGKILL; "
            f"a second recording {w.get('queued_during_kill', {}).get('recording')} was uploaded while no "
            f"transcription worker was alive; a new worker was started 5 s later.",
            f"- The killed job: `{w.get('status_a')}` {w.get('done_after_restart_s', 0):.0f} s after the restart — "
            f"{json.dumps(w.get('after'), ensure_ascii=False)}.",
            f"- The recording queued during the kill: `{w.get('status_b')}` — "
            f"{json.dumps(w.get('queued_during_kill', {}).get('after'), ensure_ascii=False)}.",
            f"- Jobs the restarted worker finished with a stored result ('done' in its log): "
            f"{w.get('restarted_worker_done_lines')}.",
            "",
            "### PostgreSQL restart",
            "",
            f"- `pg_ctlcluster 15 vocload restart` took {pg.get('restart_s', 0):.1f} s; the app was not restarted. "
            f"First successful request {_ms((pg.get('first_ok_after_s') or 0) * 1000)} ms after the restart began; "
            f"last failed request {pg.get('last_error_after_start_s') or 0:.1f} s after it began; /healthz after (0: no "
            f"answer within 5 s): "
            f"{pg.get('healthz_after')}.",
            "",
            "### Redis stopped for 60 s",
            "",
            f"- /healthz during the outage: {rd.get('healthz_during')}; after: {rd.get('healthz_after')}. A recording "
            f"uploaded during the outage: HTTP {rd.get('upload_during_status')} (recording {rd.get('recording')}), "
            f"afterwards {json.dumps(rd.get('recording_after'), ensure_ascii=False)}.",
            f"- Analytics outbox (RollupPending rows) after Redis returned, (s, rows, recording status): "
            f"{rd.get('pending_after_return')}.",
            f"- Rollup kept by the jobs vs a rebuild from the raw cases (day, total, decided, first responses): "
            f"equal = **{rd.get('analytics_check', {}).get('equal')}**; jobs {rd.get('analytics_check', {}).get('incremental')}; "
            f"rebuild {rd.get('analytics_check', {}).get('rebuilt')}.",
            f"- Last failed request {rd.get('last_error_after_return_s')} s after Redis returned (0: none).",
            "",
            "### What each user saw, per window",
            "",
        ]
        for name, win in f.get("windows", {}).items():
            sm = win.get("summary") or {}
            out += [
                f"**{name}** ({win['from_s']:.0f}–{win['to_s']:.0f} s): {sm.get('n', 0):,} requests, "
                f"{sm.get('errors', 0)} failed, p95 {_ms(sm.get('p95'))} ms.",
                "",
                *kind_table(win["by_kind"]),
                "",
            ]
    out += [f"Processes of this bench left running at the end: {r.get('leftover_processes') or 'none'}.", ""]
    path.write_text("\n".join(out))


if __name__ == "__main__":
    results = json.loads(Path(sys.argv[1]).read_text())
    write_report(results, Path(sys.argv[2]))
