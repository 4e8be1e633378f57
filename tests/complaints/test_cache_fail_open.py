"""The shared cache fails open (voc/cache.py): with Redis unreachable, registration and the TOP
page work from the database instead of answering 500 (bench/results/load-2026-12-07.md)."""

from __future__ import annotations

import socket

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from complaints.models import Complaint
from tests.complaints.test_api import URL, body

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def unreachable_redis(settings):
    settings.CACHES = {
        "default": {"BACKEND": "voc.cache.FailOpenRedisCache", "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0"}
    }
    yield
    cache.close()


def test_every_cache_call_answers_as_a_miss(unreachable_redis):
    assert cache.get("k", "default") == "default"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("k") is False
    assert cache.add("k", 1, 60) is True  # the caller goes on as if it took the key
    cache.set("k", 1, 60)
    assert cache.set_many({"a": 1}) == ["a"]
    with pytest.raises(ValueError):
        cache.incr("k")
    assert cache.delete("k") is False
    cache.delete_many(["a"])


def test_registration_works_while_redis_is_unreachable(unreachable_redis, agent, org_tree):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=agent).key}")
    response = api.post(URL, body(), format="json")
    assert response.status_code == 201, response.content
    assert Complaint.objects.filter(reference=response.json()["reference"]).exists()


def test_the_top_page_works_while_redis_is_unreachable(unreachable_redis, client, ho_officer):
    client.force_login(ho_officer)
    assert client.get("/analytics/").status_code == 200


def test_signing_in_and_staying_signed_in_work_while_redis_is_unreachable(
    unreachable_redis, settings, client, org_tree
):
    """With REDIS_URL set, sessions are cached_db (voc/settings.py): read from the cache, written
    through to the database, so a Redis outage signs nobody out and does not stop sign-in."""
    from django.contrib.sessions.models import Session

    from tests.accounts.factories import UserFactory

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    UserFactory(username="li_na", org=org_tree.bj, roles=("branch_handler",))
    response = client.post("/login/", {"username": "li_na", "password": "pw-test-123"})
    assert response.status_code == 302 and "/login" not in response["Location"]
    assert Session.objects.filter(session_key=client.session.session_key).exists()
    assert client.get("/complaints/").status_code == 200  # still signed in, from the database


def test_production_settings_cache_sessions_only_with_a_shared_cache():
    import os
    import subprocess
    import sys

    code = "import django; django.setup(); from django.conf import settings; print(settings.SESSION_ENGINE)"
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_ENV"}}
    env["DJANGO_SETTINGS_MODULE"] = "voc.settings"
    plain = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    shared = subprocess.run(
        [sys.executable, "-c", code], env={**env, "REDIS_URL": "redis://127.0.0.1:1/0"},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert plain.stdout.strip() == "django.contrib.sessions.backends.db"
    assert shared.stdout.strip() == "django.contrib.sessions.backends.cached_db"
