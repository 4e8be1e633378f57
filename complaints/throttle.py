"""Per-IP submission limit for the public form (cache-based, fixed window)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'5/hour' → (5, 3600)."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip()[0].lower()]


def client_ip(request) -> str:
    """The client's address as DRF's throttles see it (``REST_FRAMEWORK["NUM_PROXIES"]``, set from
    ``TRUSTED_PROXY_COUNT``): REMOTE_ADDR with no trusted proxy, else the X-Forwarded-For entry
    the outermost trusted proxy appended (entries left of it are whatever the client sent)."""
    return BaseThrottle().get_ident(request) or "unknown"


def public_submit_allowed(request) -> bool:
    """Count this attempt; False once the IP has used up its quota for the window."""
    limit, seconds = parse_rate(settings.COMPLAINT_PUBLIC_RATE)
    window = int(time.time() // seconds)
    key = f"complaints:public:{client_ip(request)}:{window}"
    if cache.add(key, 1, seconds):
        return True
    try:
        return cache.incr(key) <= limit
    except ValueError:  # expired between add and incr
        cache.add(key, 1, seconds)
        return True
