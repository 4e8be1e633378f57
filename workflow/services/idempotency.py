"""``Idempotency-Key`` of the workflow API: replay the first answer, never act twice.

A key is claimed (its row inserted, answer empty) and committed before the action runs: every
function here is a top-level, durable transaction, as the action's service is, so the claim is
what stops a second request with the same key from acting while the first one runs (it is told
the first is still in progress: 409). A completed action stores its answer on the row; a
request the action refused (bad input, not allowed, stale version) changed nothing and
releases the key, so the client may correct and retry with it. Keys are per user and expire
after ``WORKFLOW_API_IDEMPOTENCY_HOURS`` (default 24); ``idempotency_keys_purge`` (beat,
``workflow.purge_idempotency_keys``) deletes expired rows.

If the process dies between the action's commit and storing its answer, the key stays
claimed without an answer until it expires: a retry is answered 409 (in progress), never acted
on again; the case's timeline tells what happened.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import ApiIdempotencyKey


def lifetime() -> timedelta:
    return timedelta(hours=float(getattr(settings, "WORKFLOW_API_IDEMPOTENCY_HOURS", 24)))


def fingerprint(*, method: str, path: str, body) -> str:
    """What makes two requests "the same": method, path and the JSON body (key order ignored)."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


@dataclass(frozen=True)
class Claim:
    """``outcome``: "claimed" (act, then ``idempotency_complete``), "replay" (answer with
    ``row``'s stored answer), "in_progress" or "reused" (the key came with another request)."""

    outcome: str
    row: ApiIdempotencyKey | None = None


def idempotency_claim(*, user, key: str, fingerprint: str, now: datetime | None = None) -> Claim:
    """Claim ``key`` for ``user``'s request, or say why it is already taken."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        # An expired key is as good as never used.
        ApiIdempotencyKey.objects.filter(user=user, key=key, expires_at__lte=now).delete()
        try:
            with transaction.atomic():
                row = ApiIdempotencyKey.objects.create(
                    user=user, key=key, fingerprint=fingerprint, created_at=now, expires_at=now + lifetime()
                )
            return Claim("claimed", row)
        except IntegrityError:
            pass
        row = ApiIdempotencyKey.objects.filter(user=user, key=key).first()
    if row is None:  # released by its first request in the meantime: try once more
        return idempotency_claim(user=user, key=key, fingerprint=fingerprint, now=now)
    if row.fingerprint != fingerprint:
        return Claim("reused", row)
    if row.status is None:
        return Claim("in_progress", row)
    return Claim("replay", row)


@transaction.atomic(durable=True)
def idempotency_complete(*, row: ApiIdempotencyKey, status: int, body, etag: str = "") -> None:
    """Store the answer of the action ``row``'s key was claimed for."""
    ApiIdempotencyKey.objects.filter(pk=row.pk).update(status=status, body=body, etag=etag)


@transaction.atomic(durable=True)
def idempotency_release(*, row: ApiIdempotencyKey) -> None:
    """The action was refused and changed nothing: the key may be used again."""
    ApiIdempotencyKey.objects.filter(pk=row.pk, status__isnull=True).delete()


@transaction.atomic(durable=True)
def idempotency_keys_purge(*, now: datetime | None = None) -> int:
    """Delete expired keys; returns how many."""
    deleted, _ = ApiIdempotencyKey.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
