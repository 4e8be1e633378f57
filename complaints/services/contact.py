"""The customer's contact preferences (issue 14): how and when they want to be reached."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import AuditAction, User
from accounts.services import audit_record

from ..customer_selectors import may_edit_contact
from ..models import ContactChannel, ContactTime, Customer


def _words(channel: str, time: str) -> str:
    """The preference in the bank's language for the audit trail ("电话 · 工作日下午", "—")."""
    with translation.override("zh-hans"):
        labels = [
            str(dict(choices).get(v))
            for v, choices in ((channel, ContactChannel.choices), (time, ContactTime.choices))
            if v
        ]
    return " · ".join(labels) or "—"


@transaction.atomic
def customer_contact_set(*, actor: User, customer: Customer, channel: str, time: str) -> Customer:
    """Store the customer's preferred channel and time ("" = not stated). Who may: staff who
    handle complaints and see at least one of the customer's cases (``may_edit_contact``).
    An unchanged preference writes nothing; a change is audit-logged (old and new)."""
    if not may_edit_contact(actor, customer):
        raise PermissionDenied
    errors = {}
    if channel not in ContactChannel.values and channel != "":
        errors["contact_channel"] = _("请从列表中选择联系方式")
    if time not in ContactTime.values and time != "":
        errors["contact_time"] = _("请从列表中选择联系时间")
    if errors:
        raise ValidationError(errors)
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    before = (locked.contact_channel, locked.contact_time)
    if before == (channel, time):
        return locked
    locked.contact_channel, locked.contact_time = channel, time
    locked.contact_updated_at, locked.contact_updated_by = timezone.now(), actor
    locked.save(update_fields=["contact_channel", "contact_time", "contact_updated_at", "contact_updated_by"])
    audit_record(
        actor=actor,
        action=AuditAction.CUSTOMER_CONTACT_SET,
        obj=locked,
        **{"from": _words(*before), "to": _words(channel, time)},
    )
    return locked
