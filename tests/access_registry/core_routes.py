"""Routes of voc/urls.py (home, login, health, API schema) and of accounts."""

from __future__ import annotations

from tests.access_registry.base import (
    ALL,
    AUDIT,
    PUBLIC,
    Route,
)

ROUTES: list[Route] = [
    # --- voc/urls.py ---
    Route("home", ALL),
    Route("healthz", PUBLIC, ok=frozenset({200, 503}), same_for_all=True, note="service health, no customer data"),
    Route("login", PUBLIC, ok=frozenset({200, 302})),
    Route("logout", PUBLIC, method="POST", ok=frozenset({200, 302})),
    Route("set_language", PUBLIC, method="POST", data=lambda w: {"language": "zh-hans"}, ok=frozenset({302})),
    Route("api-schema", ALL, same_for_all=True, note="the OpenAPI document"),
    Route("api-docs", ALL, same_for_all=True),
    # --- accounts ---
    Route("accounts:audit_log", AUDIT),
    Route("accounts:notifications", ALL),
    Route(
        "accounts:password_set",
        PUBLIC,
        args=lambda: ["MQ", "0-invalid"],
        same_for_all=True,
        note="one-time link for new users; a wrong token shows 'link invalid'",
    ),
]
