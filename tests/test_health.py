"""/healthz: anonymous, JSON, 503 when a part is missing, nothing about customers.

A healthy 200 needs a real worker on a real broker: tests/test_production.py checks it
through gunicorn."""

from __future__ import annotations

import pytest

from voc import health
from voc.celery import app


@pytest.fixture(autouse=True)
def _quick_health(settings):
    settings.HEALTH_WORKER_TIMEOUT_S = 0.3
    health.forget_workers()
    yield
    health.forget_workers()


@pytest.mark.django_db
def test_health_answers_anonymous_callers_with_json_and_503_without_workers(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    assert response.json() == {
        "status": "fail",
        "checks": {
            "database": {"status": "ok"},
            "broker": {"status": "ok"},
            "workers": {"status": "fail", "queues": {"default": 0, "transcription": 0, "analytics": 0}},
        },
    }


@pytest.mark.django_db
def test_health_reports_an_unreachable_broker(client, settings):
    before = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = before
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == {"status": "ok"}
    assert checks["broker"]["status"] == "fail"
    assert checks["workers"] == {"status": "fail", "error": "BrokerUnavailable"}


@pytest.mark.django_db
def test_health_queues_follow_the_setting(client, settings):
    settings.HEALTH_QUEUES = ["default"]
    assert client.get("/healthz").json()["checks"]["workers"]["queues"] == {"default": 0}


@pytest.mark.django_db
def test_health_is_read_only(client):
    assert client.post("/healthz").status_code == 405
