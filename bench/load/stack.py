"""The bench's own production stack: a throwaway env file, scripts/serve, a separate transcription
worker, and the dedicated PostgreSQL cluster and Redis server that the fault scenarios restart.

Nothing here is shared with other work on the machine: PostgreSQL is a cluster of its own
(``pg_createcluster 15 vocload -p 5442``, created once by hand or by ``ensure_postgres``), Redis a
server of its own on port 6395 (broker DB 5, cache DB 6), gunicorn binds 127.0.0.1:8765.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATE = Path(os.environ.get("VOC_LOAD_STATE", "/tmp/voc-load"))
PG_VERSION, PG_CLUSTER, PG_PORT = "15", "vocload", 5442
DB_NAME = "voc_h_load"
DATABASE_URL = f"postgres://postgres@127.0.0.1:{PG_PORT}/{DB_NAME}"
REDIS_PORT = 6395
BROKER_URL = f"redis://127.0.0.1:{REDIS_PORT}/5"
CACHE_URL = f"redis://127.0.0.1:{REDIS_PORT}/6"
BIND = "127.0.0.1:8765"
HOST = f"http://{BIND}"
PASSWORD_FILE = STATE / "password"
ENV_FILE = STATE / "bench.env"


def sh(*args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=check, text=True, capture_output=True, **kw)


def write_env() -> Path:
    """Fresh random keys per run, mode 0600, outside the checkout (never committed)."""
    STATE.mkdir(parents=True, exist_ok=True)
    if not ENV_FILE.exists():
        keys = {name: secrets.token_urlsafe(48) for name in ("SECRET", "HASH", "ENC")}
        ENV_FILE.write_text(
            "\n".join(
                [
                    f"DJANGO_SECRET_KEY={keys['SECRET']}",
                    f"VOC_PII_HASH_KEY={keys['HASH']}",
                    f"VOC_PII_ENCRYPTION_KEY={keys['ENC']}",
                    f"DATABASE_URL={DATABASE_URL}",
                    f"CELERY_BROKER_URL={BROKER_URL}",
                    f"REDIS_URL={CACHE_URL}",
                    "DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost",
                    f"DJANGO_CSRF_TRUSTED_ORIGINS=https://{BIND}",
                    "VOC_TRUSTED_PROXIES=1",
                    f"VOC_BIND={BIND}",
                    f"VOC_VAR_DIR={STATE / 'var'}",
                    f"VOC_MEDIA_ROOT={STATE / 'media'}",
                    f"VOC_TRANSCRIPTION_MODEL_CACHE={ROOT / 'var' / 'models'}",
                    # The transcription worker runs apart (below) so that it can be killed and restarted
                    # without scripts/serve stopping the whole stack (it stops all when one child exits).
                    "VOC_TRANSCRIPTION_CONCURRENCY=0",
                ]
            )
            + "\n"
        )
        ENV_FILE.chmod(0o600)
    return ENV_FILE


def app_env() -> dict[str, str]:
    """The environment scripts/serve gives its children (for the separate worker and checks)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "VOC_", "CELERY_"))}
    for line in write_env().read_text().splitlines():
        key, _, value = line.partition("=")
        env[key] = value
    env["DJANGO_ENV"] = "production"
    env["VOC_ENV_FILE"] = str(ENV_FILE)
    # The access line as production writes it, plus the bench's request id (X-Load-Id, sent by
    # the locustfile), the worker's pid and the time in microseconds (bench/load/stalls.py).
    env["GUNICORN_CMD_ARGS"] = (
        "--access-logformat 'rid=%({x-load-id}i)s pid=%(p)s us=%(D)s status=%(s)s \"%(m)s %(U)s\"'"
    )
    return env


def ensure_postgres() -> None:
    if sh("pg_isready", "-h", "127.0.0.1", "-p", str(PG_PORT), "-q", check=False).returncode == 0:
        return
    if not Path(f"/etc/postgresql/{PG_VERSION}/{PG_CLUSTER}").exists():
        sh("pg_createcluster", PG_VERSION, PG_CLUSTER, "-p", str(PG_PORT), "--", "--auth=trust", "--locale=C.UTF-8")
        conf = Path(f"/etc/postgresql/{PG_VERSION}/{PG_CLUSTER}/postgresql.conf")
        conf.write_text(
            conf.read_text() + "listen_addresses = '127.0.0.1'\nshared_buffers = 1GB\n"
            "effective_cache_size = 4GB\nmax_connections = 200\n"
        )
    pg_ctl("start")


def pg_ctl(action: str) -> float:
    t0 = time.monotonic()
    sh("pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, PG_CLUSTER, action)
    if action != "stop":
        for _ in range(60):
            if sh("pg_isready", "-h", "127.0.0.1", "-p", str(PG_PORT), "-q", check=False).returncode == 0:
                break
            time.sleep(0.5)
    return time.monotonic() - t0


def redis_up() -> bool:
    return sh("redis-cli", "-p", str(REDIS_PORT), "ping", check=False).stdout.strip() == "PONG"


def redis_start() -> None:
    (STATE / "redis").mkdir(parents=True, exist_ok=True)
    sh(
        "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(REDIS_PORT), "--save", "",
        "--appendonly", "no", "--dir", str(STATE / "redis"), "--logfile", str(STATE / "redis" / "redis.log"),
        "--pidfile", str(STATE / "redis" / "redis.pid"),
    )  # fmt: skip
    for _ in range(50):
        if redis_up():
            return
        time.sleep(0.1)
    raise RuntimeError("bench Redis did not start")


def redis_stop() -> None:
    """Stop the bench's Redis (SIGTERM to its own pid; no data is saved: --save "")."""
    pid = int((STATE / "redis" / "redis.pid").read_text().strip())
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        if not redis_up():
            return
        time.sleep(0.1)


def healthz(timeout: float = 5.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"{HOST}/healthz", timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError as exc:
        return 0, type(exc).__name__


class Process:
    """A child in its own session, stopped by its own pid (SIGTERM, then SIGKILL)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str]):
        self.name = name
        self.log = STATE / f"{name}.log"
        self.proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=self.log.open("a"), stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill9_group(self) -> None:
        """kill -9 the whole process group (the worker's main process and its pool child)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self, timeout: float = 120) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        return self.proc.returncode


def start_serve() -> Process:
    ensure_postgres()
    if not redis_up():
        redis_start()
    (STATE / "var").mkdir(parents=True, exist_ok=True)
    (STATE / "media").mkdir(parents=True, exist_ok=True)
    serve = Process("serve", ["scripts/serve"], app_env())
    for _ in range(600):
        status, _body = healthz(timeout=3)
        if status in (200, 503):  # 503 until the transcription worker below is up
            return serve
        if serve.proc.poll() is not None:
            raise RuntimeError(f"scripts/serve exited ({serve.proc.returncode}); see {serve.log}")
        time.sleep(1)
    raise RuntimeError("scripts/serve did not answer /healthz in 10 minutes")


def start_transcription_worker(n: int = 1) -> Process:
    """As the README's 'More transcription workers' section runs one (own node name)."""
    return Process(
        f"transcription-worker-{n}",
        [str(ROOT / ".venv/bin/celery"), "-A", "voc", "worker", "-Q", "transcription", "-n",
         f"transcription{n}@%h", "-c", "1", "--loglevel", "INFO"],
        app_env(),
    )  # fmt: skip


def wait_healthy(timeout: float = 120) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        status, body = healthz()
        if status == 200 and body.startswith("{") and json.loads(body).get("status") == "ok":
            return time.monotonic() - t0  # not "degraded" (200 while workers come back)
        time.sleep(1)
    raise RuntimeError(f"/healthz not ok after {timeout:.0f} s: {healthz()}")


def leftovers() -> list[str]:
    """Processes started with this bench's env file that still run (should be none at the end)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if f"VOC_ENV_FILE={ENV_FILE}".encode() in (proc / "environ").read_bytes():
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found.append(f"{proc.name} {cmd[:120]}")
        except OSError:
            continue
    return found


def kill_leftovers(grace: float = 10) -> list[str]:
    """Stop what is left of this bench (a worker still finishing a long job after scripts/serve
    gave up waiting): SIGTERM, then SIGKILL, each by its own pid."""
    found = leftovers()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for line in leftovers():
            with contextlib.suppress(OSError):
                os.kill(int(line.split(" ", 1)[0]), sig)
        deadline = time.monotonic() + grace
        while leftovers() and time.monotonic() < deadline:
            time.sleep(0.5)
    return found
