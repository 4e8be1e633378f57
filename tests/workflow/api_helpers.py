"""Calling the workflow API as a member of staff (token auth, JSON bodies) in the API tests."""

from __future__ import annotations

from datetime import date

from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

PINNED = date(2026, 12, 7)  # a Monday

REGISTRATION = {
    "channel": "hotline",
    "code_a": "A0302",
    "code_b": "B030202",
    "code_c": "C03",
    "summary": "信用卡年费争议",
    "customer": {"name": "张伟", "title": "mr", "mobile": "13800138000", "home_org": "BJ"},
}


def api_as(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def action_url(case_or_ref, action: str) -> str:
    ref = getattr(case_or_ref, "reference", case_or_ref)
    return reverse(f"workflow_api:action_{action}", args=[ref])


def act(user, case_or_ref, action: str, body=None, *, if_match: str | None = None, key: str | None = None):
    headers = {}
    if if_match is not None:
        headers["If-Match"] = if_match
    if key is not None:
        headers["Idempotency-Key"] = key
    return api_as(user).post(action_url(case_or_ref, action), body or {}, format="json", headers=headers)


def clock(user, case_or_ref):
    ref = getattr(case_or_ref, "reference", case_or_ref)
    return api_as(user).get(reverse("workflow_api:clock", args=[ref]))


def timeline(user, case_or_ref):
    ref = getattr(case_or_ref, "reference", case_or_ref)
    return api_as(user).get(reverse("workflow_api:timeline", args=[ref]))
