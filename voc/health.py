"""``/healthz``: is this site able to do its work? For load balancers, monitors and
``scripts/serve``'s operators.

Three checks, each ``ok`` or ``fail``: the database answers a query, the broker accepts a
connection, and every queue in ``HEALTH_QUEUES`` has at least one worker consuming it (asked
over the broker, the same path a job takes). 200 when all three are ok, 503 otherwise.

Open to anonymous callers over plain http (exempt from login and from the https redirect), so
the body says only ok/fail per check, the error's class and how many workers serve each queue:
no customer data, no host names, no connection strings, no exception messages.
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

OK, FAIL = "ok", "fail"

_workers_lock = threading.Lock()
_workers_cached: tuple[float, dict[str, Any]] | None = None


def check_database() -> dict[str, Any]:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure is the answer, not a 500
        return {"status": FAIL, "error": type(exc).__name__}
    return {"status": OK}


def check_broker() -> dict[str, Any]:
    from voc.celery import app

    timeout = settings.HEALTH_WORKER_TIMEOUT_S
    try:
        # socket_connect_timeout: Redis's own; an unreachable host would otherwise hold the probe.
        options = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
        with app.connection_for_write(connect_timeout=timeout, transport_options=options) as conn:
            conn.ensure_connection(max_retries=0, timeout=timeout)
    except Exception as exc:
        return {"status": FAIL, "error": type(exc).__name__}
    return {"status": OK}


def check_workers() -> dict[str, Any]:
    """How many workers consume each required queue, from the workers' own replies.

    The answer is kept for ``HEALTH_WORKER_CACHE_S`` seconds in this process: asking waits up
    to ``HEALTH_WORKER_TIMEOUT_S`` for replies, and probes must not tie up the web workers."""
    global _workers_cached
    with _workers_lock:
        now = time.monotonic()
        if _workers_cached and now - _workers_cached[0] < settings.HEALTH_WORKER_CACHE_S:
            return _workers_cached[1]
        result = _ask_workers()
        _workers_cached = (time.monotonic(), result)
        return result


def _ask_workers() -> dict[str, Any]:
    from voc.celery import app

    required = list(settings.HEALTH_QUEUES)
    try:
        replies = app.control.inspect(timeout=settings.HEALTH_WORKER_TIMEOUT_S).active_queues() or {}
    except Exception as exc:
        return {"status": FAIL, "error": type(exc).__name__, "queues": dict.fromkeys(required, 0)}
    counts = dict.fromkeys(required, 0)
    for queues in replies.values():
        for name in {q.get("name") for q in queues or ()}:
            if name in counts:
                counts[name] += 1
    return {"status": OK if all(counts.values()) else FAIL, "queues": counts}


def forget_workers() -> None:
    """Drop the cached worker answer (tests; a later probe asks again)."""
    global _workers_cached
    with _workers_lock:
        _workers_cached = None


@login_not_required
@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": check_database(), "broker": check_broker()}
    # Without a broker no worker can answer: say so without waiting for the timeout.
    if checks["broker"]["status"] == OK:
        checks["workers"] = check_workers()
    else:
        checks["workers"] = {"status": FAIL, "error": "BrokerUnavailable"}
    healthy = all(c["status"] == OK for c in checks.values())
    return JsonResponse({"status": OK if healthy else FAIL, "checks": checks}, status=200 if healthy else 503)
