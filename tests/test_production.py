"""Production smoke test: scripts/serve's set-up under DJANGO_ENV=production, then real
requests through gunicorn (pages, static files, /healthz, the https redirect and the proxy
header), with a Celery worker on the broker so the health check can say ok.

Runs on the PostgreSQL server of DATABASE_URL when it is set (in a database of its own, dropped
afterwards), else on a SQLite file in a temporary folder, which also holds STATIC_ROOT and the
filesystem broker.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

# Settings the developer's shell or the test session may carry, which must not leak in.
_DROP = {"DATABASE_URL", "DJANGO_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE", "CELERY_BROKER_URL", "REDIS_URL", "VOC_VAR_DIR"}


def _key() -> str:
    return secrets.token_urlsafe(48)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def prod_env(tmp_path_factory) -> Iterator[dict[str, str]]:
    """Environment of a production install: test secrets, its own database and var folder."""
    var = tmp_path_factory.mktemp("prod-var")
    env = {k: v for k, v in os.environ.items() if k not in _DROP and not k.startswith("VOC_PII_")}
    env |= {
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": _key(),
        "VOC_PII_HASH_KEY": _key(),
        "VOC_PII_ENCRYPTION_KEY": _key(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "VOC_VAR_DIR": str(var),  # SQLite file, STATIC_ROOT, broker folders, beat schedule
        "VOC_HEALTH_WORKER_CACHE_S": "0",
        "VOC_HEALTH_WORKER_TIMEOUT_S": "5",  # a busy shared CI machine; the filesystem broker polls
        "PYTHONUNBUFFERED": "1",
    }
    dropped = None
    if url := os.environ.get("DATABASE_URL"):
        import environ
        import psycopg
        from psycopg import sql

        cfg = environ.Env.db_url_config(url)
        name = f"{cfg['NAME']}_smoke_{os.getpid()}"[:63]
        kw = {k: v for k, v in {"host": cfg["HOST"], "port": cfg["PORT"], "user": cfg["USER"]}.items() if v}
        if cfg.get("PASSWORD"):
            kw["password"] = cfg["PASSWORD"]
        with psycopg.connect(dbname="postgres", autocommit=True, **kw) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        env["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + name
        dropped = (kw, name)
    yield env
    if dropped:
        import psycopg
        from psycopg import sql

        kw, name = dropped
        with psycopg.connect(dbname="postgres", autocommit=True, **kw) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _run(env: dict[str, str], *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return _run(env, sys.executable, "manage.py", *args)


@pytest.fixture(scope="module")
def prod_site(prod_env) -> dict[str, str]:
    """scripts/serve's set-up steps, in its order (bootstrap: translations, static files; then
    migrations and the deployment checks)."""
    for step in (
        ("compilemessages", "--ignore=.venv", "-v", "0"),
        ("collectstatic", "--noinput", "-v", "0"),
        ("migrate", "--noinput", "-v", "0"),
        ("check", "--deploy", "--fail-level", "WARNING"),
    ):
        result = _manage(prod_env, *step)
        assert result.returncode == 0, f"{step[0]} failed:\n{result.stdout}\n{result.stderr}"
    return prod_env


@contextmanager
def _process(env: dict[str, str], args: list[str], ready) -> Iterator[subprocess.Popen]:
    log = Path(env["VOC_VAR_DIR"]) / f"{Path(args[0]).name}-{time.monotonic_ns()}.log"
    with log.open("w+") as out:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 90
            while not ready():
                if proc.poll() is not None or time.monotonic() > deadline:
                    out.seek(0)
                    pytest.fail(f"{args[0]} did not start (exit {proc.poll()}):\n{out.read()[-4000:]}")
                time.sleep(0.3)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class Site:
    def __init__(self, port: int) -> None:
        self.port = port

    def get(self, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path, headers={"Host": "127.0.0.1", **headers})
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def up(self) -> bool:
        try:
            self.get("/healthz")
        except OSError:
            return False
        return True


@contextmanager
def _gunicorn(env: dict[str, str], trusted_proxies: int) -> Iterator[Site]:
    site = Site(_free_port())
    args = [str(VENV_BIN / "gunicorn"), "-c", "python:voc.gunicorn_conf", "voc.wsgi"]
    args += ["-b", f"127.0.0.1:{site.port}", "-w", "1"]
    with _process(env | {"VOC_TRUSTED_PROXIES": str(trusted_proxies)}, args, site.up):
        yield site


@contextmanager
def _worker(env: dict[str, str]) -> Iterator[None]:
    """One worker consuming every queue on the site's broker (the filesystem broker here)."""
    name = f"smoke{os.getpid()}@%h"
    args = [str(VENV_BIN / "celery"), "-A", "voc", "worker", "--pool", "solo", "-Q", "default,transcription,analytics"]
    args += ["-n", name, "--loglevel", "INFO", "--without-mingle", "--without-gossip"]
    ping = [
        sys.executable,
        "-c",
        "from voc.celery import app; import sys; sys.exit(0 if app.control.ping(timeout=1) else 1)",
    ]

    def ready() -> bool:
        return subprocess.run(ping, cwd=ROOT, env=env, capture_output=True, timeout=60).returncode == 0

    with _process(env, args, ready):
        yield


def _health(site: Site) -> tuple[int, dict]:
    status, headers, body = site.get("/healthz")
    assert headers["content-type"] == "application/json"
    return status, json.loads(body)


def test_production_site_serves_pages_static_files_and_health_through_gunicorn(prod_site):
    https = {"X-Forwarded-Proto": "https"}
    with _gunicorn(prod_site, trusted_proxies=1) as site:
        # A page behind a TLS-terminating proxy: rendered, with hashed static URLs (the manifest).
        status, headers, body = site.get("/login/", **https)
        page = body.decode()
        assert status == 200, page[:2000]
        assert 'name="username"' in page and 'name="password"' in page
        assert headers["strict-transport-security"] == "max-age=3600"  # no preload/subdomains by default
        favicon = page.split('href="/static/favicon.', 1)[1].split('"', 1)[0]
        status, headers, body = site.get(f"/static/favicon.{favicon}", **https)
        assert status == 200 and body.startswith(b"<svg")

        # The vendored Chart.js, collected under its hashed name (it once stopped collectstatic).
        manifest = json.loads((Path(prod_site["VOC_VAR_DIR"]) / "staticfiles" / "staticfiles.json").read_text())
        chart = manifest["paths"]["vendor/chart-4.6.1.umd.min.js"]
        status, _, body = site.get(f"/static/{chart}", **https)
        assert status == 200 and b"Chart.js v4.6.1" in body

        # Compiled translations: the English switch works under gunicorn.
        status, _, body = site.get("/login/", Cookie="django_language=en", **https)
        assert status == 200 and "Sign in" in body.decode()

        # Plain http from the proxy's side is sent to https ...
        status, headers, _ = site.get("/login/")
        assert status == 301 and headers["location"] == "https://127.0.0.1/login/"
        # ... except the health check, which answers anonymous plain-http probes. No worker yet:
        status, health = _health(site)
        assert status == 503
        assert health["status"] == "fail"
        assert health["checks"]["database"] == {"status": "ok"}
        assert health["checks"]["broker"] == {"status": "ok"}
        assert health["checks"]["workers"] == {
            "status": "fail",
            "queues": {"default": 0, "transcription": 0, "analytics": 0},
        }

        with _worker(prod_site):
            status, health = _health(site)
            assert status == 200, health
            assert health == {
                "status": "ok",
                "checks": {
                    "database": {"status": "ok"},
                    "broker": {"status": "ok"},
                    "workers": {"status": "ok", "queues": {"default": 1, "transcription": 1, "analytics": 1}},
                },
            }

        # The worker is gone again: it was seen a moment ago, so it is expected back (a restart):
        # degraded, still 200, for VOC_HEALTH_WORKER_GRACE_S (tests/test_health.py: then 503).
        status, health = _health(site)
        assert status == 200 and health["status"] == "degraded"
        assert health["checks"]["workers"] == {
            "status": "degraded",
            "reason": "workers_returning",
            "queues": {"default": 0, "transcription": 0, "analytics": 0},
        }


def test_forwarded_proto_is_not_trusted_without_a_trusted_proxy(prod_site):
    """With VOC_TRUSTED_PROXIES=0 any client could send X-Forwarded-Proto: it must not pass as https."""
    with _gunicorn(prod_site, trusted_proxies=0) as site:
        status, headers, _ = site.get("/login/", **{"X-Forwarded-Proto": "https"})
        assert status == 301 and headers["location"] == "https://127.0.0.1/login/"
        assert "strict-transport-security" not in headers  # HSTS only on a request that is https


def test_seed_demo_refuses_production_settings(prod_site):
    result = _manage(prod_site, "seed_demo", "--quick", "--complaints", "0")
    assert result.returncode != 0
    assert "seed_demo refuses to run with production settings" in result.stderr
    users = _manage(prod_site, "shell", "-c", "from accounts.models import User; print(User.objects.count())")
    assert users.returncode == 0, users.stderr
    assert users.stdout.strip().splitlines()[-1] == "0"  # no demo admin with the public password


def test_serve_refuses_to_start_without_its_secrets(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in _DROP and not k.startswith(("VOC_PII_", "DJANGO_"))}
    env["VOC_ENV_FILE"] = str(tmp_path / "absent.env")
    result = _run(env, str(ROOT / "scripts" / "serve"), timeout=60)
    assert result.returncode == 2
    assert "refusing to start" in result.stderr
    for name in (
        "DJANGO_SECRET_KEY",
        "VOC_PII_HASH_KEY",
        "VOC_PII_ENCRYPTION_KEY",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
    ):
        assert name in result.stderr.splitlines()[0]

    # The same settings from an env file are enough to get past the refusal (to the URL checks).
    env_file = tmp_path / "voc.env"
    env_file.write_text(
        "DJANGO_SECRET_KEY=" + _key() + "\nexport VOC_PII_HASH_KEY='" + _key() + "'\n"
        'VOC_PII_ENCRYPTION_KEY="' + _key() + '"\n# DATABASE_URL=postgres://commented/out\n'
        "DATABASE_URL=sqlite:////tmp/not-postgres.sqlite3\nCELERY_BROKER_URL=redis://127.0.0.1:6379/0\n"
    )
    env["VOC_ENV_FILE"] = str(env_file)
    result = _run(env, str(ROOT / "scripts" / "serve"), timeout=60)
    assert result.returncode == 2
    assert "refusing to start" not in result.stderr
    assert "DATABASE_URL must point to PostgreSQL" in result.stderr


def test_hsts_include_subdomains_and_preload_are_opt_in(prod_site):
    code = "from django.conf import settings as s; print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD)"
    default = _manage(prod_site, "shell", "-c", code)
    assert default.stdout.strip().splitlines()[-1] == "3600 False False", default.stderr
    opted = prod_site | {
        "DJANGO_HSTS_SECONDS": "63072000",
        "DJANGO_HSTS_INCLUDE_SUBDOMAINS": "true",
        "DJANGO_HSTS_PRELOAD": "true",
    }
    assert _manage(opted, "shell", "-c", code).stdout.strip().splitlines()[-1] == "63072000 True True"
    deploy = _manage(opted, "check", "--deploy", "--fail-level", "WARNING")
    assert deploy.returncode == 0 and "no issues (0 silenced)" in deploy.stdout, deploy.stdout + deploy.stderr
