"""scripts/serve as a supervisor: a Celery worker that dies is started again while the site keeps
serving; SIGTERM stops every process it started.

Runs the real script (set-up included: translations, static files, migrations) on a PostgreSQL
database of its own (tests.test_production's prod_env) and a Redis database of its own on the
local Redis; the SQLite run, or a machine without Redis, skips it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import smtplib
import subprocess
import time
from pathlib import Path

import pytest

from tests.browser.production_stack import REDIS_HOST, REDIS_PORT, stack_unavailable
from tests.test_production import ROOT, Site, _free_port, prod_env  # noqa: F401  (module-scoped fixture)

REDIS_DB = 9  # this test's own Redis database (the production journeys use 7)
pytestmark = pytest.mark.skipif(bool(stack_unavailable()), reason=stack_unavailable() or "")

STARTED = re.compile(r"^==> started (?P<name>.+?) \(pid (?P<pid>\d+)\)$", re.M)


def _flush_redis() -> None:
    import redis

    redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, socket_timeout=5).flushdb()


def _started(log: Path) -> list[tuple[str, int]]:
    return [(m["name"], int(m["pid"])) for m in STARTED.finditer(log.read_text(errors="replace"))]


def _smtp_greets(port: int) -> bool:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
            return smtp.noop()[0] == 250
    except OSError:
        return False


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_for(predicate, seconds: float, what: str, log: Path):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.5)
    pytest.fail(f"{what} within {seconds} s; scripts/serve's log ends:\n{log.read_text(errors='replace')[-6000:]}")


def _health(site: Site) -> tuple[int, dict]:
    try:
        status, _, body = site.get("/healthz")
    except OSError:
        return 0, {}
    return status, json.loads(body)


def _serves_default(site: Site) -> bool:
    status, body = _health(site)
    return status == 200 and body["checks"]["workers"]["queues"]["default"] >= 1


def test_serve_restarts_a_killed_worker_while_pages_keep_serving_and_sigterm_stops_everything(
    prod_env,  # noqa: F811
    tmp_path,
):
    site = Site(_free_port())
    mail_port = _free_port()
    env = prod_env | {
        "VOC_ENV_FILE": str(tmp_path / "absent.env"),  # no developer .env
        "CELERY_BROKER_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}",
        "VOC_MEDIA_ROOT": str(tmp_path / "media"),
        "VOC_BIND": f"127.0.0.1:{site.port}",
        "VOC_WEB_WORKERS": "1",  # one web process: each probe sees what the previous one saw
        "VOC_DEFAULT_CONCURRENCY": "1",
        "VOC_TRANSCRIPTION_CONCURRENCY": "1",
        "VOC_TRUSTED_PROXIES": "1",
        "VOC_HEALTH_WORKER_TIMEOUT_S": "2",
        "VOC_MAIL_INTAKE_PORT": str(mail_port),
    }
    https = {"X-Forwarded-Proto": "https"}
    log = tmp_path / "serve.log"
    _flush_redis()
    with log.open("w") as out:
        serve = subprocess.Popen(
            [str(ROOT / "scripts" / "serve")], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        # Set-up (static files, migrations) then every process up: the health check sees all queues.
        def all_up() -> bool:
            assert serve.poll() is None, log.read_text(errors="replace")[-6000:]
            status, body = _health(site)
            return status == 200 and body["status"] == "ok"

        _wait_for(all_up, 600, "the stack did not come up", log)
        first = dict(_started(log))
        host = next(name for name in first if name.startswith("worker default@")).split("@", 1)[1]
        assert set(first) == {
            "gunicorn", f"worker default@{host}", f"worker transcription@{host}", "beat", "mail listener"
        }  # fmt: skip
        # The inbound mail listener answers SMTP in the same process group (issue 15).
        _wait_for(lambda: _smtp_greets(mail_port), 60, "the mail listener did not answer", log)
        killed = first[f"worker default@{host}"]

        os.kill(killed, signal.SIGKILL)

        def restarted() -> int | None:
            status, _, _ = site.get("/login/", **https)
            assert status == 200  # the pages keep serving throughout
            code, body = _health(site)
            assert code == 200, body  # degraded while the worker comes back, never a 503
            pids = [pid for name, pid in _started(log) if name == f"worker default@{host}"]
            return pids[-1] if pids[-1] != killed and _serves_default(site) else None

        new = _wait_for(restarted, 120, "the default worker did not come back", log)
        text = log.read_text(errors="replace")
        assert re.search(
            rf"scripts/serve: worker default@{re.escape(host)} \(pid {killed}\) exited with status 137 at "
            r"\S+ after \d+ s; restarting it in 1 s",
            text,
        ), text[-6000:]
        assert not _group_alive(killed)  # nothing of the killed worker (its pool process) goes on
        assert _group_alive(new)
        assert serve.poll() is None
        status, _, _ = site.get("/login/", **https)
        assert status == 200

        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=180) == 143
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait()
        _flush_redis()
    text = log.read_text(errors="replace")
    assert "==> stopped" in text
    everything = _started(log)
    assert len(everything) == 6  # the five, and the restarted worker
    assert [pid for _, pid in everything if _group_alive(pid)] == []  # no orphans: every group is gone
    with pytest.raises(OSError):
        site.get("/login/")
