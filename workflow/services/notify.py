"""Who hears about a case event, and the in-app/email notification itself (idempotent)."""

from __future__ import annotations

from django.urls import reverse

from accounts import roles
from accounts.models import Organisation, User
from accounts.selectors import users_with_role_at
from accounts.services import notification_send


def branch_org_id(org: Organisation) -> int:
    """The branch over an org: itself for a branch, its parent for a sub-branch."""
    return org.parent_id if org.kind == Organisation.Kind.SUB_BRANCH and org.parent_id else org.id


def branch_managers(org: Organisation) -> list[User]:
    ids = {org.id, branch_org_id(org)}
    return list(users_with_role_at(roles.BRANCH_MANAGER, Organisation.objects.filter(pk__in=ids)))


def ho_staff(role: str = roles.HO_OFFICER) -> list[User]:
    return list(users_with_role_at(role, Organisation.objects.filter(kind=Organisation.Kind.HEAD_OFFICE)))


def case_url(complaint) -> str:
    return reverse("workflow:case", args=[complaint.pk])


def notify(recipients, *, complaint, kind: str, title: str, key: str, body: str = "", email: bool = False) -> int:
    """One notification per recipient per event ``key`` (re-sending does nothing)."""
    return notification_send(
        recipients=[u for u in recipients if u is not None],
        kind=kind,
        title=title,
        dedupe_key=f"wf:{key}",
        body=body,
        url=case_url(complaint),
        target=complaint,
        email=email,
    )
