"""Sending the outbox: claim a delivery, POST it signed, record the answer.

At-least-once: a delivery is claimed with a lease (``INTEGRATIONS_WEBHOOK_LEASE_S``) and marked
sent only after the receiver answered 2xx. A worker that dies after the request and before the
mark leaves it pending; when the lease runs out the next run sends it again, with the same event
id, which receivers use to drop the repeat (docs/webhooks.md).

Order per case: for each (endpoint, case) only the pending delivery with the lowest sequence is
sent; the next waits until it is sent or has failed for good. A failed attempt is retried after
``INTEGRATIONS_WEBHOOK_BACKOFF_S`` × 2^(attempt-1) (capped), up to
``INTEGRATIONS_WEBHOOK_MAX_ATTEMPTS``; then the delivery is failed with its last error.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from complaints import crypto

from .. import egress, signing
from ..models import Delivery, DeliveryAttempt, OutboundEvent

SENT, RETRY, FAILED, BUSY = "sent", "retry", "failed", "busy"


@dataclass
class SendResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def backoff(attempt: int) -> timedelta:
    """Wait before attempt ``attempt + 1``: base, 2×, 4×… capped."""
    base = settings.INTEGRATIONS_WEBHOOK_BACKOFF_S
    return timedelta(seconds=min(base * 2 ** max(attempt - 1, 0), settings.INTEGRATIONS_WEBHOOK_BACKOFF_MAX_S))


def _free(now: datetime) -> Q:
    return Q(lease_until__isnull=True) | Q(lease_until__lt=now)


def _heads(now: datetime):
    """Pending deliveries with no earlier pending delivery of the same case to the same endpoint,
    due and not held by another worker, to an active endpoint."""
    earlier = Delivery.objects.filter(
        status=Delivery.Status.PENDING,
        endpoint_id=OuterRef("endpoint_id"),
        complaint_id=OuterRef("complaint_id"),
        sequence__lt=OuterRef("sequence"),
    )
    return (
        Delivery.objects.filter(status=Delivery.Status.PENDING, endpoint__is_active=True, next_attempt_at__lte=now)
        .filter(_free(now))
        .filter(~Exists(earlier))
    )


def deliveries_send_due(*, limit: int = 200) -> SendResult:
    """Send what is due, each case's events in order; at most ``limit`` requests per run."""
    result = SendResult()
    heads = list(
        _heads(timezone.now())
        .order_by("next_attempt_at", "id")
        .values_list("id", "endpoint_id", "complaint_id")[:limit]
    )
    budget = limit
    for delivery_id, endpoint_id, complaint_id in heads:
        current: int | None = delivery_id
        while current is not None and budget > 0:
            outcome = delivery_attempt(delivery_id=current)
            budget -= 1
            if outcome == SENT:
                result.sent += 1
            elif outcome == RETRY:
                result.retried += 1
            elif outcome == FAILED:
                result.failed += 1
            if outcome not in (SENT, FAILED):
                break
            # the case's next event to this endpoint, now that the earlier one is done
            following = _heads(timezone.now()).filter(endpoint_id=endpoint_id, complaint_id=complaint_id)
            current = following.order_by("sequence").values_list("id", flat=True).first()
        if budget <= 0:
            break
    return result


def delivery_attempt(*, delivery_id: int) -> str:
    """One attempt: claim, POST, record. Returns sent / retry / failed, or busy when the delivery
    is not ours to send (another worker holds it, not due, already done, endpoint disabled)."""
    delivery = delivery_claim(delivery_id=delivery_id, now=timezone.now())
    if delivery is None:
        return BUSY
    result = delivery_post(delivery)
    return delivery_record(delivery_id=delivery.pk, attempt=delivery.attempts, result=result, now=timezone.now())


def delivery_claim(*, delivery_id: int, now: datetime) -> Delivery | None:
    """Take the delivery for one attempt (a lease), counting the attempt; None if not free."""
    lease = now + timedelta(seconds=settings.INTEGRATIONS_WEBHOOK_LEASE_S)
    claimed = (
        Delivery.objects.filter(
            pk=delivery_id, status=Delivery.Status.PENDING, next_attempt_at__lte=now, endpoint__is_active=True
        )
        .filter(_free(now))
        .update(lease_until=lease, attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    return Delivery.objects.select_related("event", "endpoint").get(pk=delivery_id)


def delivery_post(delivery: Delivery) -> egress.PostResult:
    """The signed request for a claimed delivery (no database write)."""
    event, endpoint = delivery.event, delivery.endpoint
    secret = crypto.decrypt(endpoint.secret_encrypted)  # "" when no configured key opens it
    if not secret:  # encrypted under a key since retired (VOC_PII_ENCRYPTION_OLD_KEYS): never sign with ""
        return egress.PostResult(None, None, "refused: the endpoint's secret cannot be decrypted; rotate it")
    body = json.dumps(event.payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "voc-webhooks/1",
        "X-Voc-Event-Id": str(event.event_id),
        "X-Voc-Event-Type": event.type,
        "X-Voc-Sequence": str(event.sequence),
        "X-Voc-Delivery-Attempt": str(delivery.attempts),
        signing.HEADER: signing.sign(secret, int(time.time()), body),
    }
    return egress.post(endpoint.url, body, headers, timeout=settings.INTEGRATIONS_WEBHOOK_TIMEOUT_S)


@transaction.atomic
def delivery_record(*, delivery_id: int, attempt: int, result: egress.PostResult, now: datetime) -> str:
    """Log the attempt and move the delivery on: sent after a 2xx, retried later, or failed after
    the last attempt. An attempt whose lease another worker has since taken is only logged
    (unless it succeeded: the event did arrive)."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
    DeliveryAttempt.objects.create(
        delivery=delivery,
        endpoint_id=delivery.endpoint_id,
        attempt=attempt,
        at=now,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
        error=result.error[:500],
        ok=result.ok,
    )
    if delivery.status != Delivery.Status.PENDING:
        return delivery.status
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error[:500]
    if result.ok:
        delivery.status, delivery.sent_at, delivery.lease_until = Delivery.Status.SENT, now, None
        outcome = SENT
    elif delivery.attempts != attempt:
        return BUSY  # another worker took over after our lease ran out; it records its own attempt
    elif attempt >= settings.INTEGRATIONS_WEBHOOK_MAX_ATTEMPTS:
        delivery.status, delivery.lease_until = Delivery.Status.FAILED, None
        outcome = FAILED
    else:
        delivery.next_attempt_at, delivery.lease_until = now + backoff(attempt), None
        outcome = RETRY
    delivery.save()
    return outcome


@transaction.atomic
def outbox_prune(*, now: datetime | None = None, keep_days: int | None = None) -> int:
    """Delete events older than ``INTEGRATIONS_OUTBOX_KEEP_DAYS`` none of whose deliveries is still
    pending (their deliveries and log go with them); returns how many events were deleted."""
    now = now or timezone.now()
    days = settings.INTEGRATIONS_OUTBOX_KEEP_DAYS if keep_days is None else keep_days
    pending = Delivery.objects.filter(event_id=OuterRef("pk"), status=Delivery.Status.PENDING)
    old = OutboundEvent.objects.filter(created_at__lt=now - timedelta(days=days)).filter(~Exists(pending))
    deleted, by_model = old.delete()
    return by_model.get(OutboundEvent._meta.label, 0)
