"""Analytics' notification targets (``accounts.notifications``): a rising-issue notice is about one
organisation's numbers (a branch, or the whole bank as its head office) and is shown while its
recipient may read that organisation's reports — an analytics role (``views.ANALYTICS_ROLES``, as
the report pages require) and the organisation in the user's scope (``resolve_scope``'s rule).
Written as one queryset with the role as a subquery, so the inbox stays one query."""

from __future__ import annotations

from django.db.models import Exists, QuerySet

from accounts.models import Organisation, RoleGrant, User
from accounts.notifications import NotificationTarget
from accounts.selectors import visibility_key

from .views import ANALYTICS_ROLES


def orgs_whose_reports(user: User) -> QuerySet[Organisation]:
    """The organisations whose reports ``user`` may read (not evaluated)."""
    key = visibility_key(user)
    if not key:
        return Organisation.objects.none()
    orgs = Organisation.objects.all() if key == "*" else Organisation.objects.filter(path__startswith=key)
    if user.is_superuser:
        return orgs
    return orgs.filter(Exists(RoleGrant.objects.filter(user_id=user.pk, role__in=ANALYTICS_ROLES)))


def targets() -> list[NotificationTarget]:
    return [NotificationTarget(Organisation, visible=orgs_whose_reports)]
