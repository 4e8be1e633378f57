"""What a notification may be about: target types registered by the apps that own them.

A notification names its target as ``AuditEvent`` names its object, generically: the model's
label (``complaints.complaint``) and the row's id. Accounts names no domain app; an app that
notifies about its rows says so in its own ``notifications.py``::

    def targets() -> list[NotificationTarget]:
        return [NotificationTarget(Complaint, visible=lambda user: complaints_for(user))]

``visible(user)`` is the app's own access rule as a queryset (the rows of that model the user
may see, not evaluated): the inbox keeps a notification only while its recipient may see its
target, in the same query that reads the notifications (``accounts.selectors.notifications_for``),
however many there are. ``notification_send`` refuses a target of an unregistered type, so
nothing is stored that the inbox would have to guess about.

Why not a ``GenericForeignKey``: its content-type ids differ between databases (a copy or a
fixture of the table means something else elsewhere), reading a target costs a query per type
anyway, and a reverse ``GenericRelation`` would have to be declared on the domain model. The
label and id read the same everywhere, in SQL too, as the audit trail's do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet

from voc.extensions import ExtensionPoint


@dataclass(frozen=True)
class NotificationTarget:
    model: type[Model]
    # The rows of ``model`` the user may see (a queryset, not evaluated).
    visible: Callable[[Any], QuerySet] = field(compare=False)

    @property
    def type(self) -> str:
        return self.model._meta.label_lower


TARGETS = ExtensionPoint("notifications.targets", owner="accounts", item=NotificationTarget)


def target_types() -> dict[str, NotificationTarget]:
    """Every registered target type by its label, apps in ``INSTALLED_APPS`` order.

    A type is registered by one app only (an app may register another app's model, as analytics
    does organisations for its notices): two access rules for one type would be a guess."""
    found: dict[str, tuple[str, NotificationTarget]] = {}
    for app, items in TARGETS.call():
        for target in items:
            if target.type in found:
                raise ImproperlyConfigured(
                    f"Notifications about {target.type} are registered by {found[target.type][0]} and {app}"
                )
            found[target.type] = (app, target)
    return {label: target for label, (_app, target) in found.items()}


def target_of(obj: Model | None) -> tuple[str, int | None]:
    """(type, id) naming ``obj`` as a notification's target; ("", None) for no target.

    Raises ValueError for a model no app registered: the inbox could not tell who may see it."""
    if obj is None:
        return "", None
    label = obj._meta.label_lower
    if label not in target_types():
        raise ValueError(f"No app registers notifications about {label}: add it to its notifications.targets()")
    if obj.pk is None:
        raise ValueError(f"A notification's target must be saved first ({label})")
    return label, obj.pk
