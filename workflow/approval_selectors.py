"""The approval queue's "new since you last looked" (issue 14): markers, sort and the top bar's badge.

An item is new to a user when it entered their queue after they last opened the approvals page
(``InboxSeen`` with inbox ``"approvals"``, written by ``services.seen.inbox_seen_mark``): a case
waiting for head office's review or a verification whose row changed after that time (the
transition into the state bumps ``updated_at``), an extension request made after it. Never
looked: everything is new, as in the inbox.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, Q, Subquery

from accounts.models import User

from .models import InboxSeen
from .selectors import NEW_BADGE_CAP, ApprovalQueue, approval_queue, inbox_seen_at

APPROVALS = "approvals"
# (key, order of the case lists, order of the extension requests)
ORDERS = {
    "deadline": None,  # the queue's own order: nearest deadline / oldest request first
    "newest": (("-updated_at", "-id"), ("-requested_at", "-id")),
}


def sorted_queue(queue: ApprovalQueue, sort: str) -> ApprovalQueue:
    """The queue in the chosen order: "newest" puts what arrived last at the top of each list."""
    orders = ORDERS.get(sort)
    if orders is None:
        return queue
    cases, requests = orders
    return ApprovalQueue(
        reviews=queue.reviews.order_by(*cases),
        extensions=queue.extensions.order_by(*requests),
        verifications=queue.verifications.order_by(*cases),
    )


def seen_at(user: User) -> datetime | None:
    return inbox_seen_at(user, APPROVALS)


def changed_since(queue: ApprovalQueue, since: datetime) -> bool:
    """Whether anything in the queue arrived after ``since`` (at most three EXISTS; an empty
    list of a role the user does not hold costs none)."""
    return (
        queue.reviews.filter(updated_at__gt=since).exists()
        or queue.extensions.filter(requested_at__gt=since).exists()
        or queue.verifications.filter(updated_at__gt=since).exists()
    )


def mark(rows, since: datetime | None, *, field: str = "updated_at") -> list:
    """Set ``is_new`` on rows already read (no query)."""
    rows = list(rows)
    for row in rows:
        row.is_new = since is None or getattr(row, field) > since
    return rows


def new_count(user: User, *, cap: int = NEW_BADGE_CAP) -> int:
    """How many items of the user's approval queue are new to them, counting at most ``cap``.
    One capped count per list the user has (the last-seen time is a subquery)."""
    queue = approval_queue(user)
    seen = InboxSeen.objects.filter(user=user, inbox=APPROVALS)
    after = Subquery(seen.values("seen_at")[:1])
    never = ~Exists(seen)
    total = 0
    for qs, field in (
        (queue.reviews, "updated_at"),
        (queue.extensions, "requested_at"),
        (queue.verifications, "updated_at"),
    ):
        if total >= cap or qs.query.is_empty():
            continue
        new = Q(**{f"{field}__gt": after}) | never
        total += qs.filter(new).order_by().values("id")[: cap - total].count()
    return min(total, cap)
