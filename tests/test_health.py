"""/healthz: anonymous, JSON, 503 when a part is missing, nothing about customers.

A healthy 200 needs a real worker on a real broker: tests/test_production.py checks it
through gunicorn."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
import time_machine

from tests.conftest import use_broker
from voc import health


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
    with use_broker("redis://127.0.0.1:1/0"):  # nothing listens on port 1
        response = client.get("/healthz")
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


# --- after the broker returns, and while a worker is restarted: degraded, not 503 ----------------

T0 = 1_796_630_400.0  # 2026-12-07 08:00 UTC; the health check keeps wall-clock times (time.time)


@pytest.mark.django_db
def test_health_is_degraded_while_workers_reconnect_after_the_broker_returns(client, settings):
    """After an outage the workers reconnect on their own back-off: for HEALTH_WORKER_GRACE_S
    after this process last failed to reach the broker, missing workers are 'degraded' (200),
    then a clear 503. (The flapping 503s of the fault bench came from this window.)"""
    settings.HEALTH_WORKER_GRACE_S = 60
    settings.HEALTH_WORKER_CACHE_S = 0
    with time_machine.travel(T0, tick=False) as clock:
        with use_broker("redis://127.0.0.1:1/0"):  # the broker is down
            down = client.get("/healthz")
        assert down.status_code == 503
        assert down.json()["checks"]["broker"]["status"] == "fail"

        clock.move_to(T0 + 10)  # the broker is back, no worker has reconnected yet
        back = client.get("/healthz")
        assert back.status_code == 200
        assert back.json() == {
            "status": "degraded",
            "checks": {
                "database": {"status": "ok"},
                "broker": {"status": "ok"},
                "workers": {
                    "status": "degraded",
                    "reason": "broker_returned",
                    "queues": {"default": 0, "transcription": 0, "analytics": 0},
                },
            },
        }

        clock.move_to(T0 + 59)
        assert client.get("/healthz").status_code == 200

        clock.move_to(T0 + 61)  # grace over and still no worker: a clear failure
        late = client.get("/healthz")
        assert late.status_code == 503
        assert late.json()["status"] == "fail"
        assert late.json()["checks"]["workers"] == {
            "status": "fail",
            "queues": {"default": 0, "transcription": 0, "analytics": 0},
        }


def test_a_queue_served_lately_is_degraded_until_the_grace_runs_out():
    missing_default = {"status": "fail", "queues": {"default": 0, "transcription": 1}}
    seen = {"default": T0, "transcription": T0 + 30}
    verdict = health.workers_verdict(missing_default, now=T0 + 59, last_served=seen, broker_back_at=None, grace_s=60)
    assert verdict == {"status": "degraded", "reason": "workers_returning", "queues": missing_default["queues"]}
    # One minute without a worker on the queue: fail, even though another queue is served.
    assert (
        health.workers_verdict(missing_default, now=T0 + 60, last_served=seen, broker_back_at=None, grace_s=60)
        == missing_default
    )


def test_a_queue_never_served_fails_unless_the_broker_just_returned():
    never = {"status": "fail", "queues": {"default": 0, "transcription": 1}}
    seen = {"transcription": T0}
    assert health.workers_verdict(never, now=T0 + 1, last_served=seen, broker_back_at=None, grace_s=60) == never
    assert health.workers_verdict(never, now=T0 + 1, last_served=seen, broker_back_at=T0 - 70, grace_s=60) == never
    assert health.workers_verdict(never, now=T0 + 1, last_served=seen, broker_back_at=T0 - 5, grace_s=60) == {
        "status": "degraded",
        "reason": "broker_returned",
        "queues": never["queues"],
    }


def test_an_ok_answer_and_an_inquiry_error_pass_through():
    ok = {"status": "ok", "queues": {"default": 1}}
    assert health.workers_verdict(ok, now=T0, last_served={}, broker_back_at=T0, grace_s=60) is ok
    error = {"status": "fail", "error": "BrokerUnavailable"}
    assert health.workers_verdict(error, now=T0, last_served={}, broker_back_at=T0, grace_s=60) == error


# --- on a Redis of the test's own (skipped without redis-server) ---------------------------


class OwnRedis:
    def __init__(self, folder) -> None:
        self.folder = folder
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(self.port)]
        args += ["--save", "", "--appendonly", "no", "--dir", str(self.folder), "--logfile", "redis.log"]
        subprocess.run(args, check=True, timeout=30)
        for _ in range(100):
            if subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout == b"PONG\n":
                return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True, timeout=30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def own_redis(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server")
    redis = OwnRedis(tmp_path)
    redis.start()
    with use_broker(redis.url):
        yield redis
    redis.stop()


@pytest.mark.django_db
def test_the_first_worker_inquiry_after_a_broker_restart_gets_an_answer(own_redis, settings):
    """A connection kept from before the restart must not fail the next inquiry (it did: every
    web process's first probe after Redis came back said ConnectionError)."""
    settings.HEALTH_QUEUES = ["default"]
    assert health._ask_workers() == {"status": "fail", "queues": {"default": 0}}  # asked, nobody serves
    own_redis.stop()
    own_redis.start()
    assert health._ask_workers() == {"status": "fail", "queues": {"default": 0}}  # no ConnectionError


@pytest.mark.django_db
def test_a_broker_that_just_started_makes_missing_workers_degraded(own_redis, client, settings):
    """The broker's own uptime tells every web process alike that it was restarted."""
    settings.HEALTH_QUEUES = ["default"]
    settings.HEALTH_WORKER_GRACE_S = 3600  # the Redis above started seconds ago
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["workers"] == {
        "status": "degraded",
        "reason": "broker_returned",
        "queues": {"default": 0},
    }
    health.forget_workers()
    settings.HEALTH_WORKER_GRACE_S = 0
    assert client.get("/healthz").status_code == 503
