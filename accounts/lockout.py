"""django-axes hooks (set in voc/hardening.py): the client address, and what a locked-out user sees:
the login page again, with the reason and when to retry, status 429."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_ip(request: HttpRequest) -> str | None:
    """django-axes' AXES_CLIENT_IP_CALLABLE: the public form's rule (complaints.throttle:
    REMOTE_ADDR, or the X-Forwarded-For entry the outermost trusted proxy appended), or None when
    there is no usable address (a test client's bare request; axes stores it in an inet column)."""
    from complaints.throttle import client_ip as throttle_client_ip

    try:
        return str(ipaddress.ip_address(throttle_client_ip(request)))
    except ValueError:
        return None


def lockout_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_response(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    context = {
        "form": form,
        "locked_out": True,
        "lockout_minutes": lockout_minutes(),
        "next": request.POST.get("next", ""),
    }
    return render(request, "registration/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
