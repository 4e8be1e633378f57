"""Every change made through the Django admin site writes an audit event.

Django's admin already calls ``log_addition``, ``log_change`` and ``log_deletions`` on the
model admin for each add, change (also list-editable rows and the password form) and delete
(also the bulk "delete selected" action). ``AuditedModelAdmin`` keeps Django's ``LogEntry``
and appends an ``AuditEvent`` (``accounts.services.audit_record``) in the same transaction:
who, which object, and which fields changed from what to what. ``AuditedAdminSite`` puts the
mixin under every admin registered on the site, ours and third-party apps' alike (auth's
groups, DRF's tokens, django-axes' lockouts), so a new admin cannot forget it.

Values never reach the trail in clear when they are secrets (passwords, tokens: only "changed"
is recorded) or personal data (e-mail, names, phone/ID/card numbers: masked); any other text is
passed through the PII mask too, so a number typed into a note is masked like everywhere else.
"""

from __future__ import annotations

import datetime
import decimal
import re
import uuid
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.db import models

if TYPE_CHECKING:
    from .models import AuditAction

HIDDEN = "[hidden]"
MAX_TEXT = 200

# Fields whose values are never recorded, only that they changed.
_SECRET = re.compile(r"password|secret|token|^key$|_key$|hash|otp", re.IGNORECASE)
# Personal data: recorded masked.
_PERSONAL = re.compile(
    r"email|phone|mobile|id_number|id_no|card|address|first_name|last_name|display_name|customer|contact",
    re.IGNORECASE,
)


def _mask_personal(text: str) -> str:
    from complaints.pii import mask_text

    if "@" in text:
        masked = mask_text(text)
        if masked != text:
            return masked
        local, _, domain = text.partition("@")
        return f"{local[:1]}***@{domain}"
    return text[:1] + "*" * max(len(text) - 1, 0) if text else text


def _plain(value: Any) -> Any:
    """A JSON-safe form of a form value: objects become their primary keys."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, models.QuerySet | list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset | models.QuerySet) else items
    if isinstance(value, datetime.date | datetime.time | datetime.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "name"):  # uploaded or stored files: the name, never the content
        return str(value.name)
    return str(value)


def audit_value(field: str, value: Any) -> Any:
    """What the audit trail may hold of ``value`` for a field called ``field``."""
    from complaints.pii import mask_text

    if _SECRET.search(field):
        return HIDDEN
    value = _plain(value)
    if isinstance(value, list):
        return [audit_value(field, v) for v in value]
    if isinstance(value, str):
        value = _mask_personal(value) if _PERSONAL.search(field) else mask_text(value)
        return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "…"
    return value


def form_changes(form) -> dict[str, dict[str, Any]]:
    """``{field: {"from": old, "to": new}}`` for each field the form changed, values made safe."""
    changes: dict[str, dict[str, Any]] = {}
    for name in form.changed_data:
        field = form.fields.get(name)
        before = form.initial.get(name, field.initial if field is not None else None)
        if callable(before):
            before = before()
        after = form.cleaned_data.get(name)
        changes[name] = {"from": audit_value(name, before), "to": audit_value(name, after)}
    return changes


def formset_changes(formsets) -> list[dict[str, Any]]:
    """Inline rows added, changed and deleted, with their safe field changes."""
    out: list[dict[str, Any]] = []
    for formset in formsets or ():
        model = formset.model._meta.label_lower
        for obj in formset.new_objects:
            form = next((f for f in formset.forms if f.instance is obj), None)
            out.append({"model": model, "id": str(obj.pk), "op": "add", "fields": form_changes(form) if form else {}})
        for obj, _names in formset.changed_objects:
            form = next((f for f in formset.forms if f.instance is obj), None)
            out.append(
                {"model": model, "id": str(obj.pk), "op": "change", "fields": form_changes(form) if form else {}}
            )
        for obj in formset.deleted_objects:
            out.append({"model": model, "id": str(obj.pk), "op": "delete"})
    return out


_PENDING = "_voc_admin_audit_changes"


class AuditedModelAdmin(admin.ModelAdmin):
    """Writes ``admin.add`` / ``admin.change`` / ``admin.delete`` audit events beside LogEntry."""

    def construct_change_message(self, request, form, formsets, add=False):
        # The admin calls this just before log_addition/log_change for the same object: the
        # field values are only available here (log_* receive the text message only).
        setattr(request, _PENDING, {"fields": form_changes(form), "inlines": formset_changes(formsets)})
        return super().construct_change_message(request, form, formsets, add)

    def _audit(self, request, action: AuditAction, obj) -> None:
        from .services import audit_record

        changes = getattr(request, _PENDING, None) or {"fields": {}, "inlines": []}
        if hasattr(request, _PENDING):
            delattr(request, _PENDING)
        detail: dict[str, Any] = {"fields": changes["fields"]}
        if changes["inlines"]:
            detail["inlines"] = changes["inlines"]
        audit_record(actor=request.user, action=action, obj=obj, via="admin", **detail)

    def log_addition(self, request, obj, message):
        from .models import AuditAction  # this module loads with the settings, before the models

        entry = super().log_addition(request, obj, message)
        self._audit(request, AuditAction.ADMIN_ADD, obj)
        return entry

    def log_change(self, request, obj, message):
        from .models import AuditAction

        entry = super().log_change(request, obj, message)
        self._audit(request, AuditAction.ADMIN_CHANGE, obj)
        return entry

    def log_deletions(self, request, queryset):
        from .models import AuditAction
        from .services import audit_record

        objs = list(queryset)  # called before the deletion: the rows still exist
        entries = super().log_deletions(request, objs)
        for obj in objs:
            audit_record(actor=request.user, action=AuditAction.ADMIN_DELETE, obj=obj, via="admin")
        return entries


def audited(admin_class: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    """``admin_class`` with the audit mixin under it (itself when it has it already)."""
    if issubclass(admin_class, AuditedModelAdmin):
        return admin_class
    return type(
        admin_class.__name__,
        (AuditedModelAdmin, admin_class),
        {
            "__module__": admin_class.__module__,
            "__doc__": admin_class.__doc__,
            "__qualname__": admin_class.__qualname__,
        },
    )


class AuditedAdminSite(admin.AdminSite):
    """The default admin site: every model admin registered on it writes audit events."""

    def register(self, model_or_iterable, admin_class=None, **options):
        super().register(model_or_iterable, audited(admin_class or admin.ModelAdmin), **options)


class AuditedAdminConfig(AdminConfig):
    """``django.contrib.admin`` with ``AuditedAdminSite`` as ``admin.site`` (INSTALLED_APPS)."""

    default_site = "accounts.admin_audit.AuditedAdminSite"
