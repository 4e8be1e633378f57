"""Integration clients (service accounts) and their API keys."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import Organisation

from ..models import ApiKey, IntegrationClient

KEY_PREFIX = "voc"
# last_used_at is written at most once per this span per key (a busy client is not a write per call)
TOUCH_EVERY = timedelta(seconds=60)


def allowed_action_names() -> list[str]:
    """What a client may be allowed: the workflow actions as the case page and the API offer them
    (``workflow.actions.SPECS``; the API asks ``client.allows(name)``)."""
    from workflow.actions import SPECS

    return sorted(SPECS)


def key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def integration_client_create(
    *, name: str, org: Organisation, allowed_actions: list[str], rate: str = "600/min"
) -> IntegrationClient:
    """A client and its service user (in ``org``, without a password: it cannot sign in to the
    pages; marked ``is_service_account``, so no list of people offers it). Roles are granted to
    the service user as to any user; ``allowed_actions`` narrows them."""
    unknown = sorted(set(allowed_actions) - set(allowed_action_names()))
    if unknown:
        raise ValidationError({"allowed_actions": _("未知操作：%(names)s") % {"names": ", ".join(unknown)}})
    if IntegrationClient.objects.filter(name=name).exists():
        raise ValidationError({"name": _("该名称已被使用")})
    User = get_user_model()
    base = "svc-" + (slugify(name) or "client")[:40]
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    user = User(username=username, org=org, display_name=name[:50], is_service_account=True)
    user.set_unusable_password()
    user.save()
    return IntegrationClient.objects.create(
        name=name, service_user=user, allowed_actions=sorted(set(allowed_actions)), rate=rate
    )


@transaction.atomic
def api_key_create(*, client: IntegrationClient, name: str = "", actor=None) -> tuple[ApiKey, str]:
    """A new key ``voc_<prefix>_<secret>``; only the prefix and the SHA-256 of the key are kept, so
    the returned key is the only copy (shown once)."""
    while True:
        prefix = secrets.token_hex(5)
        if not ApiKey.objects.filter(prefix=prefix).exists():
            break
    raw = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        client=client,
        name=name,
        prefix=prefix,
        key_hash=key_hash(raw),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    return key, raw


@transaction.atomic
def api_key_revoke(*, key: ApiKey, actor=None) -> ApiKey:
    """The key stops working at its next use; revoking twice keeps the first time."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.revoked_by = actor if actor is not None and actor.is_authenticated else None
        key.save(update_fields=["revoked_at", "revoked_by"])
    return key


def api_key_touch(key: ApiKey, *, now=None) -> bool:
    """Record that the key was used; written at most once per ``TOUCH_EVERY`` (True if written)."""
    now = now or timezone.now()
    if not cache.add(f"integrations:key-used:{key.pk}", 1, timeout=int(TOUCH_EVERY.total_seconds())):
        return False
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now
    return True
