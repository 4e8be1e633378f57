"""Writes for organisations, users and the audit trail."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr

from . import roles as role_names
from .models import AuditEvent, Organisation, RoleGrant, User


@transaction.atomic
def org_upsert(
    *,
    code: str,
    name_zh: str,
    name_en: str = "",
    kind: str,
    parent: Organisation | None,
    pk: int | None = None,
    is_active: bool | None = None,
) -> Organisation:
    """Create or update an organisation (by ``pk`` when given, else by ``code``).

    Its materialised path follows its parent and code, and so do its descendants' paths: the
    path is what every access check matches on, so a renamed branch code or a sub-branch moved
    to another branch must carry its subtree along in the same transaction.
    """
    path = f"{parent.path if parent else ''}{code}/"
    if pk is None:
        org = Organisation.objects.select_for_update().filter(code=code).first() or Organisation(code=code)
    else:
        org = Organisation.objects.select_for_update().get(pk=pk)
    old_path = org.path
    org.code, org.name_zh, org.name_en, org.kind, org.parent, org.path = code, name_zh, name_en, kind, parent, path
    if is_active is not None:
        org.is_active = is_active
    org.full_clean()
    org.save()
    if old_path and old_path != path:
        Organisation.objects.filter(path__startswith=old_path).exclude(pk=org.pk).update(
            path=Concat(Value(path), Substr("path", len(old_path) + 1))
        )
    return org


@transaction.atomic
def user_upsert(
    *,
    username: str,
    org: Organisation | None,
    roles: Iterable[str],
    password: str | None = None,
    display_name: str = "",
    email: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Create or update a user and set exactly the given roles (unknown roles are rejected)."""
    wanted = set(roles)
    unknown = wanted - set(role_names.ROLE_LABELS)
    if unknown:
        raise ValueError(f"Unknown roles: {sorted(unknown)}")
    misplaced = role_names.misplaced_roles(
        wanted, at_head_office=org is not None and org.kind == Organisation.Kind.HEAD_OFFICE
    )
    if misplaced:
        raise ValueError(f"Roles only held at head office: {sorted(misplaced)} (user {username}, org {org})")
    user, _created = User.objects.update_or_create(
        username=username,
        defaults={
            "org": org,
            "display_name": display_name,
            "email": email,
            "is_staff": is_staff,
            "is_superuser": is_superuser,
        },
    )
    if password is not None:
        user.set_password(password)
        user.save(update_fields=["password"])
    RoleGrant.objects.filter(user=user).exclude(role__in=wanted).delete()
    existing = set(RoleGrant.objects.filter(user=user).values_list("role", flat=True))
    RoleGrant.objects.bulk_create([RoleGrant(user=user, role=r) for r in sorted(wanted - existing)])
    user._role_cache = frozenset(wanted)
    return user


def audit_record(
    *, actor: User | None, action: str, obj: Any = None, object_type: str = "", object_id: str = "", **detail: Any
) -> AuditEvent:
    """Append one audit event. The trail has no update or delete path."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
    )


def notification_send(
    *,
    recipients: Iterable[User],
    kind: str,
    title: str,
    dedupe_key: str,
    body: str = "",
    url: str = "",
    complaint: Any = None,
    email: bool = False,
) -> int:
    """Notify each recipient once per ``dedupe_key``; returns how many were new.

    Idempotent: re-sending the same event (same key) to the same user does nothing,
    so periodic jobs can run as often as they like. Email (Django's backend, console
    by default) goes only to users newly notified and only after the commit.
    """
    from django.core.mail import send_mail

    from .models import Notification

    users = {u.pk: u for u in recipients if u.is_active}
    if not users:
        return 0
    already = set(
        Notification.objects.filter(recipient_id__in=users, dedupe_key=dedupe_key).values_list(
            "recipient_id", flat=True
        )
    )
    new = [
        Notification(
            recipient=u, kind=kind, title=title, body=body, url=url, complaint=complaint, dedupe_key=dedupe_key
        )
        for pk, u in users.items()
        if pk not in already
    ]
    Notification.objects.bulk_create(new, ignore_conflicts=True)
    if email:
        addresses = [n.recipient.email for n in new if n.recipient.email]
        if addresses:
            transaction.on_commit(lambda: send_mail(title, f"{body}\n{url}", None, addresses, fail_silently=True))
    return len(new)


@dataclass(frozen=True)
class NotificationItem:
    """One event for ``notification_send_many``: same fields as ``notification_send``."""

    recipients: tuple[User, ...]
    kind: str
    title: str
    dedupe_key: str
    body: str = ""
    url: str = ""
    complaint_id: int | None = None
    email: bool = False


def notification_send_many(items: Iterable[NotificationItem], *, batch_size: int = 1000) -> int:
    """``notification_send`` for many events at once; returns how many notifications were new.

    Same semantics (one per (recipient, dedupe_key), emails only to newly notified users,
    after the commit) with a fixed number of queries per batch of events instead of two
    per event: one select of the existing (recipient, key) pairs and one bulk insert.
    """
    from django.core.mail import send_mail

    from .models import Notification

    items = list(items)
    created = 0
    mails: list[tuple[str, str, list[str]]] = []
    for start in range(0, len(items), batch_size):
        chunk = items[start : start + batch_size]
        user_ids = {u.pk for it in chunk for u in it.recipients if u.is_active}
        keys = {it.dedupe_key for it in chunk}
        if not user_ids:
            continue
        already = set(
            Notification.objects.filter(recipient_id__in=user_ids, dedupe_key__in=keys).values_list(
                "recipient_id", "dedupe_key"
            )
        )
        new: list[Notification] = []
        for it in chunk:
            fresh = {u.pk: u for u in it.recipients if u.is_active and (u.pk, it.dedupe_key) not in already}
            already.update((pk, it.dedupe_key) for pk in fresh)  # a key repeated within the batch sends once
            new += [
                Notification(
                    recipient=u,
                    kind=it.kind,
                    title=it.title,
                    body=it.body,
                    url=it.url,
                    complaint_id=it.complaint_id,
                    dedupe_key=it.dedupe_key,
                )
                for u in fresh.values()
            ]
            addresses = [u.email for u in fresh.values() if u.email]
            if it.email and addresses:
                mails.append((it.title, f"{it.body}\n{it.url}", addresses))
        Notification.objects.bulk_create(new, ignore_conflicts=True, batch_size=batch_size)
        created += len(new)
    if mails:

        def send() -> None:
            for subject, message, addresses in mails:
                send_mail(subject, message, None, addresses, fail_silently=True)

        transaction.on_commit(send)
    return created


def notification_mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones when no ids are given)."""
    from django.utils import timezone

    from .models import Notification

    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=timezone.now())
