"""The app's PostgreSQL connections run without JIT (issue 14: at 5 M open cases head office's
overview spent 570 of 1,580 ms compiling its grouped count); DB_JIT=on gives it back."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.db import connection

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.django_db
def test_the_connection_has_jit_off():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (SQLite has no JIT)")
    with connection.cursor() as cur:
        cur.execute("SHOW jit")
        assert cur.fetchone()[0] == "off"


def _options(**env) -> str:
    code = (
        "from django.conf import settings; print(settings.DATABASES['default'].get('OPTIONS', {}).get('options', ''))"
    )
    base = {k: v for k, v in os.environ.items() if k not in ("DB_JIT", "DATABASE_URL")}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='voc.settings'; django.setup(); {code}",
        ],
        cwd=ROOT,
        env={**base, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused", **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return out.stdout.strip()


def test_settings_turn_jit_off_for_postgresql_unless_asked():
    assert _options() == "-c jit=off"
    assert _options(DB_JIT="on") == ""
