"""Signals the complaints app sends. Other apps subscribe in their ``AppConfig.ready``;
complaints imports none of them (analytics is a leaf: it listens, nobody imports it; the
workflow builds on complaints and starts a new case's clock on ``complaint_registered``)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ImproperlyConfigured
from django.dispatch import Signal

#: Sent *inside* the transaction that changes complaints' codes, org, channel, received time,
#: status or workflow timestamps, with ``complaint_ids``. Receivers run in that transaction, so
#: what they record commits or rolls back with the change; a receiver's error propagates (a
#: broken subscriber fails loudly instead of silently losing the change). ``created`` is True when
#: the cases were just registered (nothing else refers to them yet).
complaints_changed = Signal()


def send_changed(complaint_ids: Iterable[int], *, created: bool = False) -> None:
    ids = sorted({int(i) for i in complaint_ids})
    if ids:
        complaints_changed.send(sender="complaints", complaint_ids=ids, created=created)


#: Sent by the retention job after it purged cases (outside its batch transactions), with ``days``:
#: the local days the purged cases were received on. Purging deletes the rows the rollups remember
#: the cases by, so analytics rebuilds those days (``analytics.hooks.on_cases_purged``).
cases_purged = Signal()


def send_purged(days: Iterable) -> None:
    days = sorted(set(days))
    if days:
        cases_purged.send(sender="complaints", days=days)


#: Sent *inside* intake's transaction right after a new case is saved, with ``complaint``,
#: ``actor``, ``involved_staff`` (users intake picked to recuse) and ``late_reason``. The workflow
#: receives it and starts the case's regulatory clock and timeline (``workflow.hooks``), so a case
#: never exists without them; a receiver's error propagates and the registration rolls back.
complaint_registered = Signal()


def send_registered(complaint, *, actor, involved_staff: Iterable = (), late_reason: str = "") -> None:
    """Tell the subscribers (the workflow) that ``complaint`` was registered; refuses when nobody
    listens, since a case without its clock and timeline must not be written."""
    if not complaint_registered.has_listeners():
        raise ImproperlyConfigured("complaint_registered has no receiver: the workflow app must be installed")
    complaint_registered.send(
        sender="complaints",
        complaint=complaint,
        actor=actor,
        involved_staff=list(involved_staff),
        late_reason=late_reason,
    )
