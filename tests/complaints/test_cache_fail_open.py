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
