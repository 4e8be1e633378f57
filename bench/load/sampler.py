"""Who used the CPU when: a sampler for the load bench's stall analysis (issue 12; not a test).

Every ``interval`` seconds it reads /proc: the CPU time (user + system clock ticks) of every
process, grouped by role — each gunicorn worker by pid, the Celery workers, beat, the bench's
PostgreSQL cluster by backend type (client backends, checkpointer, autovacuum, ...), its Redis,
locust, and everything else on the machine ("other": the other work sharing the cores) — plus
the kernel's CPU and I/O pressure (/proc/pressure: time some task waited for a core or for I/O)
and iowait. One JSON line per sample: {"t", "cpu": {group: ticks}, "psi_cpu_us", "psi_io_us",
"iowait"}. bench/load/stalls.py lines the samples up with the slow requests.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

PG_MARK = "postgres: 15/vocload: "


def _read(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def _group(pid: str, cmd: str, bench_pids: set[str]) -> str:
    if cmd.startswith(PG_MARK):
        rest = cmd[len(PG_MARK) :]
        if rest.startswith(("postgres ", "voc_h_load")) or " 127.0.0.1(" in rest:
            return "pg:backend"
        return "pg:" + rest.split(" ")[0].rstrip(":")  # checkpointer, autovacuum, walwriter, ...
    if "redis-server" in cmd and ":6395" in cmd:
        return "redis"
    if "locust" in cmd and "bench/load/locustfile.py" in cmd:
        return "locust"
    if pid in bench_pids:
        if "gunicorn" in cmd:
            return f"gunicorn:{pid}"
        if " beat" in cmd:
            return "celery:beat"
        if "-Q transcription" in cmd:
            return "celery:transcription"
        if "worker" in cmd and "celery" in cmd:
            return "celery:default"
        return "bench:other"
    return "other"


def _psi_total(kind: str) -> int:
    line = _read(f"/proc/pressure/{kind}").splitlines()
    return int(line[0].rsplit("total=", 1)[1]) if line else 0


class Sampler(threading.Thread):
    """Samples until ``stop()``; writes JSON lines to ``path``."""

    def __init__(self, path: Path, env_marker: bytes, interval: float = 0.25):
        super().__init__(daemon=True)
        self.path, self.marker, self.interval = path, env_marker, interval
        self._stop_event = threading.Event()
        self._bench: dict[str, bool] = {}  # pid -> started with the bench's env file

    def _is_bench(self, pid: str) -> bool:
        if pid not in self._bench:
            try:
                self._bench[pid] = self.marker in Path(f"/proc/{pid}/environ").read_bytes()
            except OSError:
                self._bench[pid] = False
        return self._bench[pid]

    def _snapshot(self) -> dict[str, tuple[str, int]]:
        out = {}
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            stat = _read(f"/proc/{pid}/stat")
            if not stat:
                continue
            fields = stat.rsplit(")", 1)[-1].split()
            ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
            out[pid] = (stat, ticks)
        return out

    def run(self) -> None:
        cmds: dict[str, str] = {}
        prev = self._snapshot()
        prev_psi = (_psi_total("cpu"), _psi_total("io"))
        prev_iowait = int(_read("/proc/stat").split()[5])
        with self.path.open("w") as out:
            while not self._stop_event.wait(self.interval):
                now = self._snapshot()
                psi = (_psi_total("cpu"), _psi_total("io"))
                iowait = int(_read("/proc/stat").split()[5])
                groups: dict[str, int] = {}
                bench_pids = set()
                for pid, (_stat, ticks) in now.items():
                    delta = ticks - prev[pid][1] if pid in prev else ticks
                    if delta <= 0:
                        continue
                    if pid not in cmds:
                        cmds[pid] = _read(f"/proc/{pid}/cmdline").replace("\0", " ").strip()
                    if self._is_bench(pid):
                        bench_pids.add(pid)
                    group = _group(pid, cmds[pid], bench_pids)
                    groups[group] = groups.get(group, 0) + delta
                out.write(json.dumps({"t": round(time.time(), 3), "cpu": groups, "psi_cpu_us": psi[0] - prev_psi[0],
                                      "psi_io_us": psi[1] - prev_psi[1], "iowait": iowait - prev_iowait}) + "\n")  # fmt: skip
                out.flush()
                prev, prev_psi, prev_iowait = now, psi, iowait

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)
