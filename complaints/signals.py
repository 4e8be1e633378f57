"""Signals the complaints app sends. Other apps subscribe in their ``AppConfig.ready``;
complaints imports none of them (analytics is a leaf: it listens, nobody imports it)."""

from __future__ import annotations

from collections.abc import Iterable

from django.dispatch import Signal

#: Sent *inside* the transaction that changes complaints' codes, org, channel, received time,
#: status or workflow timestamps, with ``complaint_ids``. Receivers run in that transaction, so
#: what they record commits or rolls back with the change; a receiver's error propagates (a
#: broken subscriber fails loudly instead of silently losing the change).
complaints_changed = Signal()


def send_changed(complaint_ids: Iterable[int]) -> None:
    ids = sorted({int(i) for i in complaint_ids})
    if ids:
        complaints_changed.send(sender="complaints", complaint_ids=ids)
