"""Real Celery worker processes for fault tests: a filesystem broker in a temp dir that the
test process and the workers share, and workers started against the test database."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import use_broker

from . import audio_factory as af
from .conftest import MODEL_CACHE

ROOT = Path(settings.BASE_DIR)
CELERY = ROOT / ".venv" / "bin" / "celery"

# The marks of every test that runs real worker subprocesses against the test database.
REAL_WORKER_MARKS = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the worker subprocesses need a database they can open; pytest-django's SQLite test DB is in memory",
    ),
    pytest.mark.skipif(not af.tools_available(), reason="needs espeak-ng, sox, ffmpeg"),
]


def speech_env(**extra: str) -> dict[str, str]:
    """The test process's speech settings for the workers (the test's media folder, tiny.en), plus ``extra``."""
    return {
        "VOC_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "VOC_TRANSCRIPTION_ENGINE": "faster-whisper",
        "VOC_TRANSCRIPTION_MODEL": "pkg:tiny.en",
        "VOC_TRANSCRIPTION_MODEL_CACHE": str(MODEL_CACHE),
        **extra,
    }


def broker_options(var_dir: Path) -> dict:
    """The transport options voc.settings derives from VOC_VAR_DIR, so both sides agree."""
    broker = var_dir / "broker"
    folders = {
        "data_folder_in": broker / "queue",
        "data_folder_out": broker / "queue",
        "processed_folder": broker / "processed",
        "control_folder": broker / "control",
    }
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    return {**{k: str(v) for k, v in folders.items()}, "store_processed": False}


@contextlib.contextmanager
def filesystem_broker(var_dir: Path):
    """Tasks sent by the test process go to the filesystem broker under ``var_dir``."""
    with use_broker("filesystem://", broker_options(var_dir)):
        yield


def database_url_for_workers() -> str:
    """The URL of the database the tests run on (pytest-django's test_* database)."""
    db = settings.DATABASES["default"]
    assert connection.vendor == "postgresql", "worker tests need a database another process can open"
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else f"{user}@"
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


class Worker:
    """``celery worker --pool solo``: the task runs in the worker's main process, so
    SIGKILL to that pid kills the job mid-flight."""

    def __init__(self, name: str, var_dir: Path, log_dir: Path, extra_env: dict[str, str]):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "voc.settings",
            "DATABASE_URL": database_url_for_workers(),
            "CELERY_BROKER_URL": "filesystem://",
            "VOC_VAR_DIR": str(var_dir),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "PYTHONUNBUFFERED": "1",
            **extra_env,
        }
        env.pop("REDIS_URL", None)
        cmd = [str(CELERY), "-A", "voc", "worker", "--pool", "solo", "-Q", "transcription,default"]
        cmd += ["--loglevel", "INFO", "-n", f"{name}@%h", "--without-mingle", "--without-gossip"]
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log_path.read_text(errors="replace"):
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"worker {self.name} exited ({self.proc.returncode}):\n{self.log()}")
            time.sleep(0.2)
        raise AssertionError(f"worker {self.name} not ready after {timeout}s:\n{self.log()}")

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM (warm shutdown); SIGKILL if it hangs."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


def wait_for(predicate, *, timeout: float, interval: float = 0.1, what="condition"):
    """Poll ``predicate`` until it returns something truthy; AssertionError after ``timeout``.
    ``what`` may be a callable, evaluated only on timeout (e.g. to show a worker's log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what() if callable(what) else what}")
