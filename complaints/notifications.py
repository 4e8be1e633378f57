"""Complaints' notification targets (``accounts.notifications``): a notification about a case
is shown while its recipient may see the case."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from accounts.notifications import NotificationTarget
from accounts.selectors import scope_by_path

from .models import Complaint


def visible_cases(user: User) -> QuerySet[Complaint]:
    """The cases the user may see (``complaints_for``'s scope, written on the organisation's path
    as the case page reads it: no query for the user's subtree first)."""
    return scope_by_path(Complaint.objects.all(), user)


def targets() -> list[NotificationTarget]:
    return [NotificationTarget(Complaint, visible=visible_cases)]
