"""Production settings pass Django's deployment checks; the quick start needs no server."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PII_KEYS = {"VOC_PII_HASH_KEY": secrets.token_urlsafe(48), "VOC_PII_ENCRYPTION_KEY": secrets.token_urlsafe(48)}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DATABASE_URL", "DJANGO_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE", "VOC_PII_HASH_KEY", "VOC_PII_ENCRYPTION_KEY"}
    } | env
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="voc.bank.example",
        **PII_KEYS,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_pii_keys():
    base = {"DJANGO_ENV": "production", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
    missing = _manage("check", "--deploy", **base)
    assert missing.returncode != 0
    assert "VOC_PII_HASH_KEY is not set" in missing.stderr and "VOC_PII_ENCRYPTION_KEY is not set" in missing.stderr
    dev = _manage(
        "migrate",
        "--check",
        **base,
        VOC_PII_HASH_KEY="dev-only-pii-hash-key",
        VOC_PII_ENCRYPTION_KEY=PII_KEYS["VOC_PII_ENCRYPTION_KEY"],
    )
    assert dev.returncode != 0 and "complaints.E102" in dev.stderr


def test_gunicorn_entry_point_refuses_to_load_without_pii_keys():
    """gunicorn runs no system checks: importing voc.wsgi must fail by itself."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "VOC_PII_HASH_KEY"}}
    env |= {"DJANGO_ENV": "production", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
    env["VOC_PII_ENCRYPTION_KEY"] = PII_KEYS["VOC_PII_ENCRYPTION_KEY"]
    refused = subprocess.run(
        [sys.executable, "-c", "import voc.wsgi"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert refused.returncode != 0 and "ImproperlyConfigured: complaints.E101" in refused.stderr
    env["VOC_PII_HASH_KEY"] = PII_KEYS["VOC_PII_HASH_KEY"]
    loaded = subprocess.run(
        [sys.executable, "-c", "import voc.wsgi"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert loaded.returncode == 0, loaded.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DJANGO_ENV="production")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_defaults_are_sqlite_wal_and_filesystem_broker():
    from django.conf import settings

    from voc.celery import app

    if os.environ.get("DATABASE_URL"):
        pytest.skip("this run is on PostgreSQL on purpose")
    db = settings.DATABASES["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    # (The test session itself swaps in an in-memory broker; the settings are what users get.)
    assert settings.CELERY_BROKER_URL.startswith("filesystem://")
    assert Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]).is_dir()
    assert Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["control_folder"]).is_relative_to(settings.VAR_DIR)
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1


def _debug_setting(**env: str) -> str:
    if os.environ.get("DJANGO_DEBUG"):
        pytest.skip("DJANGO_DEBUG is set in this shell")
    code = "from django.conf import settings; print(settings.DEBUG)"
    result = _manage("shell", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_debug_is_off_unless_a_developer_switches_it_on():
    """The quick start runs without DEBUG (a 404 would list every URL, a 500 show a traceback);
    DJANGO_DEBUG=1 turns it on for development, never in production."""
    assert _debug_setting() == "False"
    assert _debug_setting(DJANGO_DEBUG="1") == "True"
    production = {"DJANGO_ENV": "production", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), **PII_KEYS}
    assert _debug_setting(DJANGO_DEBUG="1", **production) == "False"
