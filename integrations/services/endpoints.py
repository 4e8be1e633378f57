"""Webhook endpoints: made with a fresh signing secret (shown once), secrets rotated."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organisation
from complaints import crypto

from .. import egress
from ..models import EventType, WebhookEndpoint


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def endpoint_validate(*, url: str, event_types: list[str]) -> None:
    """An endpoint takes only known event types and a URL the SSRF guard allows."""
    problem = egress.url_problem(url)
    if problem:
        raise ValidationError({"url": problem})
    unknown = sorted(set(event_types) - set(EventType.values))
    if unknown or not event_types:
        raise ValidationError({"event_types": _("请选择有效的事件类型")})


@transaction.atomic
def endpoint_create(
    *, name: str, url: str, event_types: list[str], org: Organisation | None = None, is_active: bool = True
) -> tuple[WebhookEndpoint, str]:
    """Register a receiver; returns it and its signing secret (stored encrypted, shown once)."""
    endpoint_validate(url=url, event_types=event_types)
    secret = new_secret()
    endpoint = WebhookEndpoint.objects.create(
        name=name,
        url=url,
        event_types=sorted(set(event_types)),
        org=org,
        is_active=is_active,
        secret_encrypted=crypto.encrypt(secret),
    )
    return endpoint, secret


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> str:
    """A new signing secret from the next request on; the old one stops at once."""
    secret = new_secret()
    endpoint.secret_encrypted = crypto.encrypt(secret)
    endpoint.save(update_fields=["secret_encrypted"])
    return secret
