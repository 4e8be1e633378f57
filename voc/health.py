"""``/healthz``: is this site able to do its work? For load balancers, monitors and
``scripts/serve``'s operators.

Three checks: the database answers a query, the broker accepts a connection, and every queue
in ``HEALTH_QUEUES`` has at least one worker consuming it (asked over the broker, the same path
a job takes). 200 with ``ok`` when all three are ok; 200 with ``degraded`` when only workers
are missing and they are expected back (see ``workers_verdict``); 503 with ``fail`` otherwise.

Open to anonymous callers over plain http (exempt from login and from the https redirect), so
the body says only ok/degraded/fail per check, the error's class, a reason code and how many
workers serve each queue: no customer data, no host names, no connection strings, no exception
messages.

Why there is a ``degraded``: after the broker comes back (a Redis restart, a network blip) the
workers reconnect on their own back-off (Celery retries after 2, 4, 6 … up to 30 s), and a worker
that died is restarted by ``scripts/serve`` or systemd within seconds. Answering 503 for that
while, from whichever web process the probe reaches, made health flap for ~35 s after each Redis
outage.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

OK, DEGRADED, FAIL = "ok", "degraded", "fail"
# Reason codes of a degraded worker check.
BROKER_RETURNED = "broker_returned"  # the broker came back lately: workers are reconnecting
WORKERS_RETURNING = "workers_returning"  # a queue's worker was seen lately: being restarted

_workers_lock = threading.Lock()
_workers_cached: tuple[float, dict[str, Any]] | None = None
# What this web process has seen, wall-clock seconds (time.time(), which tests can pin): when
# each queue last had a worker, and when the broker last failed to answer.
_last_served: dict[str, float] = {}
_broker_failed_at: float | None = None


def check_database() -> dict[str, Any]:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure is the answer, not a 500
        return {"status": FAIL, "error": type(exc).__name__}
    return {"status": OK}


def check_broker() -> tuple[dict[str, Any], float | None]:
    """The broker's check, and how long the broker server has been up (seconds; None when the
    transport cannot say, e.g. the filesystem broker)."""
    from voc.celery import app

    global _broker_failed_at
    timeout = settings.HEALTH_WORKER_TIMEOUT_S
    uptime = None
    try:
        # socket_connect_timeout: Redis's own; an unreachable host would otherwise hold the probe.
        options = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
        with app.connection_for_write(connect_timeout=timeout, transport_options=options) as conn:
            conn.ensure_connection(max_retries=0, timeout=timeout)
            uptime = _server_uptime(conn)
    except Exception as exc:
        _broker_failed_at = time.time()
        return {"status": FAIL, "error": type(exc).__name__}, None
    return {"status": OK}, uptime


def _server_uptime(conn) -> float | None:
    client = getattr(conn.default_channel, "client", None)  # a redis.Redis on the Redis transport
    if client is None or not hasattr(client, "info"):
        return None
    try:
        return float(client.info("server")["uptime_in_seconds"])
    except Exception:  # INFO refused (a managed Redis may rename it): no uptime, not a failure
        return None


def check_workers() -> dict[str, Any]:
    """How many workers consume each required queue, from the workers' own replies.

    The answer is kept for ``HEALTH_WORKER_CACHE_S`` seconds in this process: asking waits up
    to ``HEALTH_WORKER_TIMEOUT_S`` for replies, and probes must not tie up the web workers. An
    answer that is not ok is kept for at most a second: it is asked again at the next probe."""
    global _workers_cached
    with _workers_lock:
        now = time.monotonic()
        if _workers_cached and now - _workers_cached[0] < _workers_cached[1]:
            return _workers_cached[2]
        result = _ask_workers()
        keep = settings.HEALTH_WORKER_CACHE_S if result["status"] == OK else min(1.0, settings.HEALTH_WORKER_CACHE_S)
        _workers_cached = (time.monotonic(), keep, result)
        return result


def _ask_workers() -> dict[str, Any]:
    from voc.celery import app

    required = list(settings.HEALTH_QUEUES)
    timeout = settings.HEALTH_WORKER_TIMEOUT_S
    try:
        # A connection of its own, not one from the app's pool: a pooled connection that was
        # open when the broker went away fails the first inquiry after the broker is back.
        with app.connection_for_write(connect_timeout=timeout) as conn:
            replies = app.control.inspect(timeout=timeout, connection=conn).active_queues() or {}
    except Exception as exc:
        return {"status": FAIL, "error": type(exc).__name__, "queues": dict.fromkeys(required, 0)}
    counts = dict.fromkeys(required, 0)
    for queues in replies.values():
        for name in {q.get("name") for q in queues or ()}:
            if name in counts:
                counts[name] += 1
    now = time.time()
    for name, count in counts.items():
        if count:
            _last_served[name] = now
    return {"status": OK if all(counts.values()) else FAIL, "queues": counts}


def workers_verdict(
    workers: dict[str, Any],
    *,
    now: float,
    last_served: dict[str, float],
    broker_back_at: float | None,
    grace_s: float,
) -> dict[str, Any]:
    """The worker check as reported: a queue without a worker is ``degraded`` rather than
    ``fail`` while it is expected back — the broker came back less than ``grace_s`` ago
    (``broker_back_at``: the workers are reconnecting), or the queue had a worker less than
    ``grace_s`` ago (it is being restarted). Pure: the caller supplies what was seen."""
    if workers["status"] == OK or "queues" not in workers:
        return workers
    missing = [name for name, count in workers["queues"].items() if not count]
    if broker_back_at is not None and now - broker_back_at < grace_s:
        reason = BROKER_RETURNED
    elif missing and all(now - last_served.get(name, float("-inf")) < grace_s for name in missing):
        reason = WORKERS_RETURNING
    else:
        return workers
    return {"status": DEGRADED, "reason": reason, "queues": workers["queues"]}


def forget_workers() -> None:
    """Drop the cached worker answer and what this process has seen (tests; a later probe asks again)."""
    global _workers_cached, _broker_failed_at
    with _workers_lock:
        _workers_cached = None
        _last_served.clear()
        _broker_failed_at = None


@login_not_required
@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    broker, uptime = check_broker()
    checks = {"database": check_database(), "broker": broker}
    # Without a broker no worker can answer: say so without waiting for the timeout.
    if broker["status"] == OK:
        now = time.time()
        # The broker is back since the later of: its server's start (a restart), and the last
        # time this process could not reach it (a network blip).
        seen = [t for t in (_broker_failed_at, None if uptime is None else now - uptime) if t is not None]
        back_at = max(seen, default=None)
        checks["workers"] = workers_verdict(
            check_workers(),
            now=now,
            last_served=_last_served,
            broker_back_at=back_at,
            grace_s=settings.HEALTH_WORKER_GRACE_S,
        )
    else:
        checks["workers"] = {"status": FAIL, "error": "BrokerUnavailable"}
    states = {c["status"] for c in checks.values()}
    status = FAIL if FAIL in states else DEGRADED if DEGRADED in states else OK
    return JsonResponse({"status": status, "checks": checks}, status=503 if status == FAIL else 200)
