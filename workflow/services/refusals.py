"""Refused attempts that the case's log keeps (回避, independence of verification).

A service refuses by raising inside its transaction, which rolls back everything it
wrote; so the refusal is recorded here, after the service's transaction has ended, as a
``refused`` entry on the case's timeline: who tried what, in which state, and why.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

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
    """Wrap a service so that its audited refusals are written after its rollback."""

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        try:
            return service(*args, **kwargs)
        except WorkflowError as exc:
            if exc.audit and exc.audit.get("complaint_id"):
                record(exc)
            raise

    return wrapper
