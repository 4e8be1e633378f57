"""Writes for organisations, users and the audit trail."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr

from . import roles as role_names
from .directory import PARENT_KIND, Directory, DirectoryError
from .models import AuditAction, AuditEvent, Organisation, RoleGrant, User
from .notifications import target_of, target_types


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

    A building block, not a top-level action (plain ``atomic``, a savepoint when nested): it is
    one step of larger units that must commit or fail as one — a directory load
    (``directory_apply``, all organisations and users or none), the admin's save (Django wraps it
    in a transaction with the change log), the demo seed.
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
    """Create or update a user and set exactly the given roles (unknown roles are rejected).

    A building block, not a top-level action (plain ``atomic``, a savepoint when nested): a user
    is written as part of a directory load (``directory_apply``) or of ensuring the administrator
    (``administrator_ensure``, with its audit event), which are the durable actions, and by the
    demo seed; its own block keeps the user and their roles together when called alone."""
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
    *,
    actor: User | None,
    action: AuditAction,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    **detail: Any,
) -> AuditEvent:
    """Append one audit event. The trail has no update or delete path.

    ``action`` is an ``AuditAction``; anything else (a misspelt or new free-text kind) raises
    ValueError before anything is written, so every stored kind has a label and a filter."""
    if not isinstance(action, AuditAction):
        raise ValueError(f"Unknown audit action {action!r}: add it to accounts.models.AuditAction")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action.value,
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
    target: Any = None,
    email: bool = False,
) -> int:
    """Notify each recipient once per ``dedupe_key``; returns how many were new.

    Idempotent: re-sending the same event (same key) to the same user does nothing,
    so periodic jobs can run as often as they like. Email (Django's backend, console
    by default) goes only to users newly notified and only after the commit.
    ``target`` is the saved row the notification is about (a case, a recording), of a type
    an app registers in ``accounts.notifications``; the inbox shows the notification only
    while the recipient may see it. One event of ``notification_send_many``.
    """
    target_type, target_id = target_of(target)
    item = NotificationItem(
        recipients=tuple(recipients),
        kind=kind,
        title=title,
        dedupe_key=dedupe_key,
        body=body,
        url=url,
        target_type=target_type,
        target_id=target_id,
        email=email,
    )
    return notification_send_many([item])


@dataclass(frozen=True)
class NotificationItem:
    """One event for ``notification_send_many``: same fields as ``notification_send``."""

    recipients: tuple[User, ...]
    kind: str
    title: str
    dedupe_key: str
    body: str = ""
    url: str = ""
    target_type: str = ""  # a type registered in accounts.notifications, with target_id; or neither
    target_id: int | None = None
    email: bool = False


def _notifiable(user: User) -> bool:
    """Active people; a service account (another system) has no inbox, whoever lists it."""
    return user.is_active and not user.is_service_account


def notification_send_many(items: Iterable[NotificationItem], *, batch_size: int = 1000) -> int:
    """``notification_send`` for many events at once; returns how many notifications were new.

    Same semantics (one per (recipient, dedupe_key), emails only to newly notified users,
    after the commit) with a fixed number of queries per batch of events instead of two
    per event: one select of the existing (recipient, key) pairs and one bulk insert.
    """
    from django.core.mail import send_mail

    from .models import Notification

    items = list(items)
    known = target_types()
    for it in items:
        if it.target_type and (it.target_type not in known or it.target_id is None):
            raise ValueError(f"Unknown notification target {it.target_type}:{it.target_id}")
        if not it.target_type and it.target_id is not None:
            raise ValueError("A notification target id needs its type")
    created = 0
    mails: list[tuple[str, str, list[str]]] = []
    for start in range(0, len(items), batch_size):
        chunk = items[start : start + batch_size]
        user_ids = {u.pk for it in chunk for u in it.recipients if _notifiable(u)}
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
            fresh = {u.pk: u for u in it.recipients if _notifiable(u) and (u.pk, it.dedupe_key) not in already}
            already.update((pk, it.dedupe_key) for pk in fresh)  # a key repeated within the batch sends once
            new += [
                Notification(
                    recipient=u,
                    kind=it.kind,
                    title=it.title,
                    body=it.body,
                    url=it.url,
                    target_type=it.target_type,
                    target_id=it.target_id,
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


def notifications_forget(*, target_type: str, ids: Iterable[int]) -> int:
    """Delete the notifications about these rows (their owner deletes or anonymises them: a
    notification's title and body may name the customer). Returns how many went."""
    from .models import Notification

    deleted, _by_model = Notification.objects.filter(target_type=target_type, target_id__in=list(ids)).delete()
    return deleted


def notification_mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones when no ids are given)."""
    from django.utils import timezone

    from .models import Notification

    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=timezone.now())


# --- Onboarding: the directory file and the first administrator -------------------------


@dataclass
class DirectoryReport:
    """What ``directory_apply`` did (or, in a dry run, would do)."""

    created_orgs: list[str] = field(default_factory=list)
    updated_orgs: list[tuple[str, list[str]]] = field(default_factory=list)
    unchanged_orgs: int = 0
    created_users: list[User] = field(default_factory=list)
    updated_users: list[tuple[str, list[str]]] = field(default_factory=list)
    unchanged_users: int = 0
    missing_orgs: list[str] = field(default_factory=list)
    missing_users: list[str] = field(default_factory=list)
    deactivated_users: list[str] = field(default_factory=list)
    kept_superusers: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created_orgs or self.updated_orgs or self.created_users or self.updated_users) or bool(
            self.deactivated_users
        )


def _directory_check(directory: Directory, orgs: dict[str, Organisation]) -> list[str]:
    """Rules that need the database: parents and user orgs exist (in the file or already),
    a parent is one level up, head-office roles only at head office."""
    in_file = {r.code: r.kind for r in directory.orgs}

    def kind_of(code: str) -> str | None:
        return in_file.get(code) or (orgs[code].kind if code in orgs else None)

    problems: list[str] = []
    for r in directory.orgs:
        if not r.parent:
            continue
        parent_kind, wanted = kind_of(r.parent), PARENT_KIND[r.kind]
        if parent_kind is None:
            problems.append(f"{r.where}: parent {r.parent!r} is neither in the file nor in the database")
        elif parent_kind != wanted:
            problems.append(f"{r.where}: the parent of a {r.kind} must be a {wanted}; {r.parent} is a {parent_kind}")
    for u in directory.users:
        kind = kind_of(u.org)
        if kind is None:
            problems.append(f"{u.where}: organisation {u.org!r} is neither in the file nor in the database")
            continue
        misplaced = role_names.misplaced_roles(u.roles, at_head_office=kind == Organisation.Kind.HEAD_OFFICE)
        if misplaced:
            problems.append(f"{u.where}: role(s) {sorted(misplaced)} are held at head office only, not at {u.org}")
    return problems


def _messages(exc: ValidationError) -> str:
    return "; ".join(str(m) for m in exc.messages)


@transaction.atomic(durable=True)
def directory_apply(
    *,
    directory: Directory,
    deactivate_missing: bool = False,
    dry_run: bool = False,
    actor: User | None = None,
    run_by: str = "",
) -> DirectoryReport:
    """Make the organisation tree and the users match the directory file, in one transaction.

    Rules: everything is checked before anything is written, and any problem (naming its file
    and line) leaves the database untouched (``DirectoryError``). Rows equal to the database
    are not written, so a second run changes nothing. Empty optional values leave the stored
    value as it is. Nothing is deleted: organisations and active users absent from the file
    are reported; with ``deactivate_missing`` those users are deactivated, except superusers
    (the way back in). New users get an unusable password (``user_password_link`` lets them set
    one). One ``directory.load`` audit event records what changed (names of fields, no values).
    """
    orgs = {o.code: o for o in Organisation.objects.select_related("parent")}
    problems = _directory_check(directory, orgs)
    if problems:
        raise DirectoryError(problems)
    report = DirectoryReport()
    level = {Organisation.Kind.HEAD_OFFICE: 0, Organisation.Kind.BRANCH: 1, Organisation.Kind.SUB_BRANCH: 2}
    for r in sorted(directory.orgs, key=lambda r: level[r.kind]):
        current = orgs.get(r.code)
        parent = orgs[r.parent] if r.parent else None
        wanted = {
            "name_zh": r.name_zh,
            "name_en": r.name_en if r.name_en is not None else (current.name_en if current else ""),
            "kind": r.kind,
            "parent": parent.code if parent else "",
            "is_active": r.active if r.active is not None else (current.is_active if current else True),
        }
        if current is not None:
            have = {
                "name_zh": current.name_zh,
                "name_en": current.name_en,
                "kind": current.kind,
                "parent": current.parent.code if current.parent else "",
                "is_active": current.is_active,
            }
            changed = [k for k in wanted if wanted[k] != have[k]]
            if not changed:
                report.unchanged_orgs += 1
                continue
        try:
            orgs[r.code] = org_upsert(
                code=r.code,
                name_zh=wanted["name_zh"],
                name_en=wanted["name_en"],
                kind=r.kind,
                parent=parent,
                pk=current.pk if current else None,
                is_active=wanted["is_active"],
            )
        except ValidationError as exc:
            problems.append(f"{r.where}: {_messages(exc)}")
            continue
        if current is None:
            report.created_orgs.append(r.code)
        else:
            report.updated_orgs.append((r.code, changed))
    if problems:
        raise DirectoryError(problems)

    users = {u.username.lower(): u for u in User.objects.select_related("org").prefetch_related("role_grants")}
    for r in directory.users:
        current = users.get(r.username.lower())
        org = orgs[r.org]
        if current is None:
            user = user_upsert(
                username=r.username, org=org, roles=r.roles, display_name=r.name or "", email=r.email or ""
            )
            user.set_unusable_password()
            user.is_active = r.active if r.active is not None else True
            user.save(update_fields=["password", "is_active"])
            report.created_users.append(user)
            continue
        wanted = {
            "name": r.name if r.name is not None else current.display_name,
            "email": r.email if r.email is not None else current.email,
            "org": org.code,
            "roles": sorted(r.roles),
            "active": r.active if r.active is not None else True,
        }
        have = {
            "name": current.display_name,
            "email": current.email,
            "org": current.org.code if current.org else "",
            "roles": sorted(g.role for g in current.role_grants.all()),
            "active": current.is_active,
        }
        changed = [k for k in wanted if wanted[k] != have[k]]
        if not changed:
            report.unchanged_users += 1
            continue
        user_upsert(
            username=current.username,
            org=org,
            roles=r.roles,
            display_name=wanted["name"],
            email=wanted["email"],
            is_staff=current.is_staff,
            is_superuser=current.is_superuser,
        )
        if "active" in changed:
            User.objects.filter(pk=current.pk).update(is_active=wanted["active"])
        report.updated_users.append((current.username, changed))

    in_file_orgs = {r.code for r in directory.orgs}
    report.missing_orgs = sorted(code for code in orgs if code not in in_file_orgs)
    listed = {r.username.lower() for r in directory.users}
    for key, user in sorted(users.items()):
        if key in listed or not user.is_active or user.is_service_account:
            continue  # a service account is no one's directory entry (integrations makes it)
        if user.is_superuser:
            report.kept_superusers.append(user.username)
        elif deactivate_missing:
            User.objects.filter(pk=user.pk).update(is_active=False)
            report.deactivated_users.append(user.username)
        else:
            report.missing_users.append(user.username)

    if dry_run:
        transaction.set_rollback(True)
    elif report.changed:
        audit_record(
            actor=actor,
            action=AuditAction.DIRECTORY_LOAD,
            sources=directory.sources,
            run_by=run_by,
            created_orgs=report.created_orgs,
            updated_orgs=[{"code": c, "fields": f} for c, f in report.updated_orgs],
            created_users=[u.username for u in report.created_users],
            updated_users=[{"username": n, "fields": f} for n, f in report.updated_users],
            deactivated_users=report.deactivated_users,
        )
    return report


def user_password_link(*, user: User, base_url: str = "") -> str:
    """A one-time link for ``user`` to set a password (Django's reset token: it stops working once
    a password is set, or after ``PASSWORD_RESET_TIMEOUT``). Nothing is stored."""
    from django.contrib.auth.tokens import default_token_generator
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    path = reverse(
        "accounts:password_set",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return base_url.rstrip("/") + path


@transaction.atomic(durable=True)
def administrator_ensure(
    *, username: str, org: Organisation, email: str = "", display_name: str = "", password: str | None = None
) -> tuple[User, bool]:
    """Make ``username`` a superuser holding the admin role at head office; returns (user, created).

    The admin role is a head-office role, so ``org`` must be the head office. Other roles the user
    holds are kept; the password changes only when one is given (validated by the password
    validators); a new user without one gets an unusable password. Writes ``admin.bootstrap``.
    """
    from django.contrib.auth.password_validation import validate_password

    if org.kind != Organisation.Kind.HEAD_OFFICE:
        raise ValidationError(f"The administrator must belong to the head office, not {org.code} ({org.kind}).")
    existing = User.objects.filter(username=username).first()
    if password is not None:
        validate_password(password, user=existing or User(username=username, email=email))
    held = set(existing.role_set) if existing else set()
    user = user_upsert(
        username=username,
        org=org,
        roles=held | {role_names.ADMIN},
        password=password,
        display_name=display_name or (existing.display_name if existing else ""),
        email=email or (existing.email if existing else ""),
        is_staff=True,
        is_superuser=True,
    )
    if existing is None and password is None:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    audit_record(
        actor=None,
        action=AuditAction.ADMIN_BOOTSTRAP,
        obj=user,
        created=existing is None,
        password_set=password is not None,
    )
    return user, existing is None
