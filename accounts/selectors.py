"""Who may see and act on what. Every page, API, export and report scopes through here.

The rule: a user sees the subtree of their own organisation. Head office is the
root, so head-office staff see everything; a branch user sees the branch and its
sub-branches; a sub-branch user sees only that sub-branch. Superusers see all.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from dataclasses import dataclass
from functools import reduce
from typing import TypeVar

from django.apps import apps
from django.db.models import Exists, Model, OuterRef, Q, QuerySet

from . import audit_trail, roles
from .models import AuditEvent, Notification, Organisation, User
from .notifications import target_types

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


def visibility_key(user: User) -> str:
    """What ``orgs_visible_to`` depends on, without a query: "*" (everything), the user's subtree
    prefix, or "" (nothing). Users with the same key see the same organisations."""
    if sees_everything(user):
        return "*"
    if not user.is_authenticated or not user.is_active or user.org is None:
        return ""
    return _subtree_prefix(user.org)


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
    key = visibility_key(user)
    if key == "*":
        return qs
    if not key:
        return qs.none()
    return qs.filter(**{f"{org_field}__path__startswith": key})


def org_visible_to(user: User, org: Organisation | None) -> bool:
    """Is ``org`` in the user's subtree (``orgs_visible_to``)? Answered from the paths, no query."""
    if org is None:
        return False
    key = visibility_key(user)
    return key == "*" or (bool(key) and org.path.startswith(key))


def can_write(user: User) -> bool:
    """Read-only roles (auditors) never change anything, whatever else they hold."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return bool(user.role_set) and not user.role_set <= roles.READ_ONLY_ROLES


def administers(user: User) -> bool:
    """Does this user administer the system (the admin site, the holiday calendar files)?
    Django staff, superusers and holders of the administrator role."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.is_staff or user.has_role(roles.ADMIN)


def can_read_audit_trail(user: User) -> bool:
    """The audit trail and the play log cover the whole bank, so they are for head-office
    auditors and administrators (or superusers) only, never for these roles held elsewhere."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or (sees_everything(user) and user.has_role(roles.AUDITOR, roles.ADMIN))


@dataclass(frozen=True)
class AuditFilters:
    """What the audit page narrows by: who, what kind, which local days, which case."""

    actor_id: int | None = None
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    reference: str = ""  # a case's reference (投诉编号)


def audit_events_for(user: User, filters: AuditFilters | None = None, *, action: str = "") -> QuerySet[AuditEvent]:
    """The audit trail, newest first, narrowed by ``filters``; empty for anyone else.

    Each filter reads from an index (action/actor with ``at``; the case through the objects
    its app names and the case id in the events' data), so a page stays fast at any size."""
    if not can_read_audit_trail(user):
        return AuditEvent.objects.none()
    f = filters or AuditFilters(action=action)
    events = AuditEvent.objects.select_related("actor").filter(audit_trail.at_range(f.date_from, f.date_to))
    if f.action:
        events = events.filter(action=f.action)
    if f.actor_id:
        events = events.filter(actor_id=f.actor_id)
    if f.reference:
        about_case = audit_trail.CASE_EVENTS.collect(f.reference.strip())
        if not about_case:
            return AuditEvent.objects.none()
        events = events.filter(reduce(operator.or_, about_case))
    return events


@dataclass(frozen=True)
class AuditPage:
    rows: list[audit_trail.AuditRow]
    next_cursor: str  # "" on the last page


def audit_page_for(user: User, filters: AuditFilters, *, cursor: str | None = None, limit: int = 50) -> AuditPage:
    """One page of the trail by keyset on (at, id), each event with its object and case named
    and its data as fields. Fixed cost: the page's rows (actor joined), then one query per kind
    of object on the page (asked of the app that owns it), whatever the trail's size."""
    events = list(
        audit_events_for(user, filters).filter(audit_trail.before_cursor(audit_trail.cursor_decode(cursor)))[
            : limit + 1
        ]
    )
    more = len(events) > limit
    events = events[:limit]
    refs: dict[str, set[str]] = defaultdict(set)
    case_ids: set[int] = set()
    for e in events:
        if e.object_type and e.object_id:
            refs[e.object_type].add(e.object_id)
        case_id = audit_trail.case_id_of(e.detail)
        if case_id is not None:
            case_ids.add(case_id)
    subjects = {
        (s.object_type, s.object_id): s
        for s in [*audit_trail.describe(refs, case_ids), *audit_trail.DESCRIBE.collect(refs, case_ids)]
    }
    rows = [_audit_row(e, subjects) for e in events]
    next_cursor = audit_trail.cursor_encode(events[-1].at, events[-1].pk) if more else ""
    return AuditPage(rows, next_cursor)


def _audit_row(e: AuditEvent, subjects: dict[tuple[str, str], audit_trail.AuditSubject]) -> audit_trail.AuditRow:
    subject = subjects.get((e.object_type, e.object_id))
    if subject is None and (e.object_type or e.object_id):
        subject = audit_trail.AuditSubject(e.object_type, e.object_id, _object_fallback(e.object_type, e.object_id))
    detail = e.detail if isinstance(e.detail, dict) else {}
    case = None
    case_id = audit_trail.case_id_of(detail)
    if case_id is not None:
        case = subjects.get((audit_trail.COMPLAINT, str(case_id)))
    if case is None and detail.get("case_reference"):
        case = audit_trail.AuditSubject(audit_trail.COMPLAINT, "", str(detail["case_reference"]))
    if case is None and subject is not None and subject.case_reference:
        case = audit_trail.AuditSubject(audit_trail.COMPLAINT, "", subject.case_reference, subject.case_url)
    hide = (*audit_trail.CASE_ID_KEYS, "case_reference") if case is not None else ()
    return audit_trail.AuditRow(
        event=e,
        action_label=audit_trail.action_label(e.action),
        actor_name=str(e.actor) if e.actor else "",
        subject=subject,
        case=None if case is None or (subject is not None and subject.object_type == audit_trail.COMPLAINT) else case,
        fields=audit_trail.detail_fields(e.detail, hide=hide),
    )


def _object_fallback(object_type: str, object_id: str) -> str:
    """An object no app described: its model's name and id (or the stored words)."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_id or object_type
    return f"{model._meta.verbose_name} #{object_id}" if object_id else str(model._meta.verbose_name)


def audit_people(user: User) -> QuerySet[User]:
    """Whom the audit page offers to filter by (every person, by name; not the service accounts
    of other systems); nobody for other readers."""
    if not can_read_audit_trail(user):
        return User.objects.none()
    return User.objects.people().select_related("org").order_by("display_name", "username")


def can_unmask(user: User) -> bool:
    """May this user see full phone/ID numbers? (Each unmasked view is audit-logged.)"""
    return user.is_authenticated and user.has_role(*roles.UNMASK_ROLES)


def can_reveal_mobile(user: User, complaint) -> bool:
    """May this user see the full phone number of ``complaint``'s customer (a case already in
    their scope)? UNMASK_ROLES may on any case. At a branch, the people DOMAIN.md gives the
    resolution to may, to call the customer (the phone number only, never the ID number): the
    branch handler the case is assigned to, and a branch complaint manager over the case (its
    responsible organisation in the manager's subtree, as ``workflow.permissions``' BRANCH: a
    manager may do whatever a handler may). Read-only roles never. Each reveal is audit-logged.
    No query: ``complaint.responsible_org`` is read with the case wherever this is asked."""
    if can_unmask(user):
        return True
    if not (user.is_authenticated and complaint is not None and not user.at_head_office and can_write(user)):
        return False
    if complaint.assigned_to_id == user.pk and user.has_role(roles.BRANCH_HANDLER, roles.BRANCH_MANAGER):
        return True
    return user.has_role(roles.BRANCH_MANAGER) and org_visible_to(user, complaint.responsible_org)


def users_with_role_at(role: str, orgs: QuerySet[Organisation] | list[Organisation]) -> QuerySet[User]:
    """Active staff holding ``role`` at any of ``orgs`` (for notifications and assignment);
    people only, never a service account."""
    return User.objects.people().filter(is_active=True, role_grants__role=role, org__in=orgs).distinct()


def notifications_for(user: User, *, limit: int = 100) -> QuerySet[Notification]:
    """The user's own notifications, newest first, leaving out those about a target the user may
    no longer see (a case moved to another branch, a recording whose flag was withdrawn) or of a
    type no installed app registers. One query, however many notifications and types: each
    registered type's access rule is a subquery (``accounts.notifications``)."""
    if not user.is_authenticated:
        return Notification.objects.none()
    shown = Q(target_type="")
    for target in target_types().values():
        rows = target.visible(user).filter(pk=OuterRef("target_id"))
        shown |= Q(Exists(rows), target_type=target.type)
    return Notification.objects.filter(shown, recipient=user)[:limit]
