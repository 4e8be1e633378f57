"""The top bar's badges of new work in the inbox and the approval queue (``accounts.navigation.BADGES``)."""

from __future__ import annotations

from django.urls import reverse

from accounts.navigation import NavBadge

from .navigation import has_inbox


def badges_for(user) -> list[NavBadge]:
    """Users with an inbox get its count of new cases, approvers and managers also the approval
    queue's: both come from one fragment (``workflow:badges``), loaded after the page, so the
    page pays one request for them, not one per badge (no query here)."""
    if not has_inbox(user):
        return []
    return [NavBadge(reverse("workflow:badges"), key="wf_new")]
