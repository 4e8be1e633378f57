"""Webhook signatures (pure; no Django): HMAC-SHA256 over ``"<timestamp>.<body>"``.

Header (docs/webhooks.md)::

    X-Voc-Signature: t=1796623200,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd

``t`` is the Unix time of the request; ``v1`` the hex HMAC-SHA256 of ``f"{t}.".encode() + body``
with the endpoint's secret. A receiver recomputes it over the raw body, compares in constant time,
and refuses a ``t`` further than the replay window (5 minutes) from its own clock. Today one
``v1`` is sent (a rotated secret applies from the next request); receivers accept any matching
``v1`` so that sending the old and the new signature side by side can be added without breaking them.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Voc-Signature"
REPLAY_WINDOW_S = 300


class SignatureError(ValueError):
    """The request's signature is missing, malformed, wrong or outside the replay window."""


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for ``body`` sent at ``timestamp``."""
    return f"t={int(timestamp)},v1={signature(secret, int(timestamp), body)}"


def verify(header: str | None, body: bytes, secret: str, *, now: float, window_s: int = REPLAY_WINDOW_S) -> int:
    """Check a received signature header; return its timestamp or raise ``SignatureError``."""
    if not header:
        raise SignatureError("missing signature")
    timestamp = None
    candidates = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError("malformed signature header")
    if abs(now - timestamp) > window_s:
        raise SignatureError("timestamp outside the replay window")
    expected = signature(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise SignatureError("signature does not match")
    return timestamp
