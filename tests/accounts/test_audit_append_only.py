"""The audit trail is append-only at the database, not only in code: a trigger refuses UPDATE
(SQLite and PostgreSQL) and DELETE (PostgreSQL; Django's flush on SQLite deletes rows)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.models import AuditAction, AuditEvent
from accounts.services import audit_record

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="DELETE is refused on PostgreSQL only")


@pytest.fixture
def event(ho_officer) -> AuditEvent:
    return audit_record(
        actor=ho_officer, action=AuditAction.CUSTOMER_UNMASK, object_type="complaints.customer", object_id="7"
    )


def test_appending_still_works(event):
    audit_record(actor=None, action=AuditAction.ANALYTICS_EXPORT)
    assert AuditEvent.objects.count() == 2


def test_an_update_through_the_orm_is_refused(event):
    event.action = "nothing.happened"
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        event.save()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(object_id="8")
    event.refresh_from_db()
    assert (event.action, event.object_id) == ("customer.unmask", "7")


def test_a_raw_sql_update_is_refused(event):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE accounts_auditevent SET action = %s", ["x"])


@pytest.mark.postgres
@on_postgresql
def test_a_delete_is_refused_on_postgresql(event):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        event.delete()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()
