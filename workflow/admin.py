"""Read-only admin for the workflow logs: the trail has no edit path outside the services."""

from django.contrib import admin

from accounts.admin_base import ReadOnlyAdmin

from .models import CaseAlert, CaseComment, CaseTransition, Decision, ExtensionRequest, Pause, VerificationRequest


@admin.register(CaseTransition)
class CaseTransitionAdmin(ReadOnlyAdmin):
    list_display = ("at", "complaint", "action", "from_state", "to_state", "actor")
    list_filter = ("action", "to_state")
    raw_id_fields = ("complaint", "actor")


for model in (CaseComment, Decision, ExtensionRequest, Pause, VerificationRequest, CaseAlert):
    admin.site.register(model, ReadOnlyAdmin)
