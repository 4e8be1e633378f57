"""Who may see and act on what. Every page, API, export and report scopes through here.

The rule: a user sees the subtree of their own organisation. Head office is the
root, so head-office staff see everything; a branch user sees the branch and its
sub-branches; a sub-branch user sees only that sub-branch. Superusers see all.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

from . import roles
from .models import AuditEvent, Organisation, User

M = TypeVar("M", bound=Model)


def sees_everything(user: User) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.at_head_office


def _subtree_prefix(org: Organisation) -> str:
    return org.path if org.path.endswith("/") else f"{org.path}/"


def subtree_of(org: Organisation) -> QuerySet[Organisation]:
    """``org`` and every org below it: one indexed prefix match on the materialised path.

    The prefix keeps the trailing separator: "HO/BJ" would also match "HO/BJS/" (codes may be
    prefixes of one another, BJ and BJS, BJ-CY and BJ-CYN); "HO/BJ/" matches only BJ's subtree.
    """
    return Organisation.objects.filter(path__startswith=_subtree_prefix(org))


def orgs_visible_to(user: User) -> QuerySet[Organisation]:
    """The organisations whose cases, numbers and recordings this user may see."""
    if sees_everything(user):
        return Organisation.objects.all()
    if not user.is_authenticated or not user.is_active or user.org is None:
        return Organisation.objects.none()
    return subtree_of(user.org)


def org_ids_visible_to(user: User) -> frozenset[int] | None:
    """Ids of visible orgs, or ``None`` meaning "all" (so callers skip the filter)."""
    if sees_everything(user):
        return None
    cached = getattr(user, "_visible_org_ids", None)
    if cached is None:
        cached = frozenset(orgs_visible_to(user).values_list("id", flat=True))
        user._visible_org_ids = cached
    return cached


def scope_to_user(qs: QuerySet[M], user: User, *, org_field: str = "responsible_org") -> QuerySet[M]:
    """Restrict any queryset whose rows belong to an org (via ``org_field``) to what the user may see."""
    ids = org_ids_visible_to(user)
    if ids is None:
        return qs
    return qs.filter(**{f"{org_field}_id__in": ids})


def scope_by_path(qs: QuerySet[M], user: User, *, org_field: str = "responsible_org") -> QuerySet[M]:
    """The same scope as ``scope_to_user``, written as a join on the row's organisation path
    instead of a list of ids read first: for a few rows found by another index (one case and its
    relatives, a branch's staff), where that read would be the extra query."""
    if sees_everything(user):
        return qs
    if not user.is_authenticated or not user.is_active or user.org is None:
        return qs.none()
    return qs.filter(**{f"{org_field}__path__startswith": _subtree_prefix(user.org)})


def org_visible_to(user: User, org: Organisation | None) -> bool:
    """Is ``org`` in the user's subtree (``orgs_visible_to``)? Answered from the paths, no query."""
    if org is None:
        return False
    if sees_everything(user):
        return True
    if not user.is_authenticated or not user.is_active or user.org is None:
        return False
    return org.path.startswith(_subtree_prefix(user.org))


def can_write(user: User) -> bool:
    """Read-only roles (auditors) never change anything, whatever else they hold."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return bool(user.role_set) and not user.role_set <= roles.READ_ONLY_ROLES


def can_read_audit_trail(user: User) -> bool:
    """The audit trail and the play log cover the whole bank, so they are for head-office
    auditors and administrators (or superusers) only, never for these roles held elsewhere."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or (sees_everything(user) and user.has_role(roles.AUDITOR, roles.ADMIN))


def audit_events_for(user: User, *, action: str = "") -> QuerySet[AuditEvent]:
    """The audit trail, newest first, optionally one action; empty for anyone else."""
    if not can_read_audit_trail(user):
        return AuditEvent.objects.none()
    events = AuditEvent.objects.select_related("actor")
    return events.filter(action=action) if action else events


def can_unmask(user: User) -> bool:
    """May this user see full phone/ID numbers? (Each unmasked view is audit-logged.)"""
    return user.is_authenticated and user.has_role(*roles.UNMASK_ROLES)


def users_with_role_at(role: str, orgs: QuerySet[Organisation] | list[Organisation]) -> QuerySet[User]:
    """Active staff holding ``role`` at any of ``orgs`` (for notifications and assignment)."""
    return User.objects.filter(is_active=True, role_grants__role=role, org__in=orgs).distinct()
