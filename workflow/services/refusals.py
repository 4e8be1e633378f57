"""Refused attempts that the case's log keeps (回避, independence of verification).

A service refuses by raising inside its transaction, which rolls back everything it
wrote; so the refusal is recorded here, after the service's transaction has ended, as a
``refused`` entry on the case's timeline: who tried what, in which state, and why.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..errors import WorkflowError
from ..models import CaseTransition

REFUSED_ACTION = "refused"


def record(error: WorkflowError) -> None:
    audit = error.audit or {}
    CaseTransition.objects.create(
        complaint_id=audit["complaint_id"],
        action=REFUSED_ACTION,
        from_state=audit.get("state", ""),
        to_state=audit.get("state", ""),
        actor_id=audit.get("actor_id"),
        reason=error.message,
        data={k: v for k, v in audit.items() if k in ("action", "rule", "target")},
        at=timezone.now(),
    )


def logged(service: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a service as a top-level action: its own durable transaction, and its audited
    refusals written after that transaction rolled back.

    Durable (``atomic(durable=True)``): called inside another transaction it raises
    RuntimeError at once instead of silently joining it, where its writes would commit or
    roll back with someone else's work and a refusal would be written before the rollback
    that should follow it. Code composing several actions in one transaction calls
    ``service.nested`` (the unwrapped service: joins the caller's transaction, writes no
    refusal)."""

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        try:
            with transaction.atomic(durable=True):
                return service(*args, **kwargs)
        except WorkflowError as exc:
            if exc.audit and exc.audit.get("complaint_id"):
                record(exc)
            raise

    wrapper.nested = service
    return wrapper
