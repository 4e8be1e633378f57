"""Records that change only through the services (cases, logs, audit trails) have a read-only
admin, built from the one shared ReadOnlyAdmin: even a superuser cannot add, change or delete."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from accounts.admin_base import ReadOnlyAdmin
from accounts.models import AuditEvent
from complaints.models import Complaint
from recordings.models import CallRecording, ListeningEvent
from workflow.models import (
    CaseAlert,
    CaseComment,
    CaseTransition,
    Decision,
    ExtensionRequest,
    Pause,
    VerificationRequest,
)

READ_ONLY = [
    AuditEvent,
    Complaint,
    CallRecording,
    ListeningEvent,
    CaseTransition,
    CaseAlert,
    CaseComment,
    Decision,
    ExtensionRequest,
    Pause,
    VerificationRequest,
]


@pytest.mark.django_db
@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m.__name__)
def test_read_only_records_have_the_shared_read_only_admin(model, django_user_model):
    model_admin = admin.site._registry[model]
    assert isinstance(model_admin, ReadOnlyAdmin)
    request = RequestFactory().get("/admin/")
    request.user = django_user_model(username="root", is_superuser=True, is_staff=True, is_active=True)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


@pytest.mark.django_db
def test_no_admin_copies_the_read_only_admin(django_user_model):
    """An admin that refuses a superuser both adding and changing is the shared ReadOnlyAdmin, not a
    hand-made copy of it (issue 13: five copies; the recordings' flag admin was the last, and it
    still let a superuser delete a flag the services keep)."""
    request = RequestFactory().get("/admin/")
    request.user = django_user_model(username="root", is_superuser=True, is_staff=True, is_active=True)
    copies = [
        f"{model._meta.label}: {type(model_admin).__name__}"
        for model, model_admin in admin.site._registry.items()
        if not model_admin.has_add_permission(request)
        and not model_admin.has_change_permission(request)
        and not isinstance(model_admin, ReadOnlyAdmin)
    ]
    assert copies == []
