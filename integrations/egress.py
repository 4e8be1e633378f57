"""Outgoing HTTP for webhooks: which URLs may be called, and one signed POST.

SSRF guard: a URL whose host resolves to any address that is not globally routable (loopback,
private, link-local, carrier-grade NAT, reserved, multicast, unspecified — also IPv4 inside IPv6)
is refused unless ``INTEGRATIONS_ALLOW_PRIVATE_URLS`` (off in production, on in development and
tests); production also refuses plain ``http://`` (``INTEGRATIONS_REQUIRE_HTTPS``). The check runs
when an endpoint is saved and again before each request (the name may resolve elsewhere later).
Redirects are not followed: a 3xx is a failed attempt, so a receiver cannot bounce us inward.
"""

from __future__ import annotations

import ipaddress
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


def url_problem(url: str) -> str | None:
    """Why ``url`` may not receive events, or None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return _("地址格式不正确")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("地址须以 http:// 或 https:// 开头")
    if parts.scheme != "https" and settings.INTEGRATIONS_REQUIRE_HTTPS:
        return _("生产环境只允许 https 地址")
    if settings.INTEGRATIONS_ALLOW_PRIVATE_URLS:
        return None
    try:
        infos = socket.getaddrinfo(parts.hostname, port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError):
        return _("无法解析该主机名")
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            return _("该地址指向内网或本机，不允许推送")
    return None


@dataclass(frozen=True)
class PostResult:
    status_code: int | None
    latency_ms: int | None
    error: str  # "" when the receiver answered 2xx

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 3xx comes back as an HTTPError: a failed attempt


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> PostResult:
    """POST ``body``; never raises for what the receiver or the network does."""
    problem = url_problem(url)
    if problem:
        return PostResult(None, None, f"refused: {problem}")
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    started = time.monotonic()
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read(4096)
            code = response.status
    except urllib.error.HTTPError as exc:
        code = exc.code
    except (OSError, ValueError) as exc:  # refused, reset, timeout, TLS, bad URL
        return PostResult(None, _elapsed(started), f"{type(exc).__name__}: {exc}"[:500])
    ok = 200 <= code < 300
    return PostResult(code, _elapsed(started), "" if ok else f"HTTP {code}")


def _elapsed(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
