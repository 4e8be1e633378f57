"""tests.conftest.use_broker: the one helper that switches the Celery broker in tests (the health
checks' Redis, the worker tests' filesystem broker, the session's in-memory broker)."""

from __future__ import annotations

from tests.conftest import use_broker
from voc.celery import app


def _vhost() -> str:
    with app.pool.acquire(block=True, timeout=5) as conn:
        return conn.virtual_host


def test_a_switched_broker_gets_fresh_pools_and_the_old_one_comes_back():
    before = app.conf.broker_url, app.conf.broker_transport_options
    app.send_task("voc.celery.heartbeat")  # the pools exist, made for the session's memory://
    assert _vhost() == "/"

    with use_broker("memory://localhost/other", {"polling_interval": 0.5}):
        assert (app.conf.broker_url, app.conf.broker_transport_options) == (
            "memory://localhost/other",
            {"polling_interval": 0.5},
        )
        app.send_task("voc.celery.heartbeat")
        assert _vhost() == "other"  # not the pool made for the old URL
        with use_broker("memory://localhost/third"):  # None keeps the transport options
            assert app.conf.broker_transport_options == {"polling_interval": 0.5}

    assert (app.conf.broker_url, app.conf.broker_transport_options) == before
    app.send_task("voc.celery.heartbeat")  # a pool closed but not forgotten would refuse this send
    assert _vhost() == "/"
