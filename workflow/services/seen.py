"""The user's "last looked at" time per inbox (``InboxSeen``), written when the inbox is opened."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from ..models import InboxSeen

INBOXES = ("inbox", "mine", "approvals")


@transaction.atomic
def inbox_seen_mark(*, user, inbox: str, at: datetime) -> None:
    """Record that ``user`` saw ``inbox`` as it was at ``at`` (the time the page was read).

    Never moves the time back (two tabs: the older page does not bring back markers the newer
    one cleared). One UPDATE when the row exists; the INSERT only the first time.
    """
    if inbox not in INBOXES:
        raise ValueError(f"unknown inbox: {inbox!r}")
    updated = InboxSeen.objects.filter(user=user, inbox=inbox, seen_at__lt=at).update(seen_at=at)
    if not updated:
        InboxSeen.objects.get_or_create(user=user, inbox=inbox, defaults={"seen_at": at})
