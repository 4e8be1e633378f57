"""The top bar's badge of new work in the inbox (``accounts.navigation.BADGES``)."""

from __future__ import annotations

from django.urls import reverse

from accounts.navigation import NavBadge

from .navigation import has_inbox


def badges_for(user) -> list[NavBadge]:
    """Users with an inbox get its count of new cases, loaded after the page (no query here)."""
    if not has_inbox(user):
        return []
    return [NavBadge(reverse("workflow:inbox_badge"), key="wf_inbox_new")]
