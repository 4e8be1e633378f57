"""The top bar's badges of new work in the inbox and the approval queue (``accounts.navigation.BADGES``)."""

from __future__ import annotations

from django.urls import reverse

from accounts.navigation import NavBadge

from .navigation import has_approvals, has_inbox


def badges_for(user) -> list[NavBadge]:
    """Users with an inbox get its count of new cases, approvers and managers also the approval
    queue's; each loaded after the page (no query here)."""
    if not has_inbox(user):
        return []
    badges = [NavBadge(reverse("workflow:inbox_badge"), key="wf_inbox_new")]
    if has_approvals(user):
        badges.append(NavBadge(reverse("workflow:approvals_badge"), key="wf_approvals_new"))
    return badges
