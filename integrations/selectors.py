"""Reads with a rule for the integrations app: who handles regulator transfers, and the
regulator-referred cases a user may report back on (scoped like every case list)."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from accounts import roles
from accounts.models import User
from accounts.selectors import can_write
from complaints.models import Complaint
from complaints.selectors import complaints_for

from .models import RegulatorBatch

# Head office's complaint officers take the regulator's transfers (they route and watch deadlines).
IMPORT_ROLES = frozenset({roles.HO_OFFICER})
# The results go back to the regulator from head office, or from a branch to its local regulator
# office: each sees the cases of their own scope.
EXPORT_ROLES = frozenset({roles.HO_OFFICER, roles.HO_APPROVER, roles.BRANCH_MANAGER, roles.AUDITOR})


def may_import_regulator_transfers(user: User) -> bool:
    """A head-office complaint officer who may write (never an auditor, never a branch)."""
    return (
        user.is_authenticated
        and user.is_active
        and user.at_head_office
        and user.has_role(*IMPORT_ROLES)
        and can_write(user)
    )


def may_export_regulator_results(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.has_role(*EXPORT_ROLES)


def regulator_batches_for(user: User) -> QuerySet[RegulatorBatch]:
    if not may_import_regulator_transfers(user):
        return RegulatorBatch.objects.none()
    return RegulatorBatch.objects.select_related("created_by", "imported_by")


def regulator_cases_for(user: User, start: dt.date, end: dt.date) -> QuerySet[Complaint]:
    """Regulator-referred cases the user may see, received by the bank from ``start`` to ``end``
    (local dates, both included), oldest first."""
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return (
        complaints_for(user)
        .filter(is_regulator_referred=True, received_at__gte=since, received_at__lt=until)
        .order_by("received_at", "id")
    )
