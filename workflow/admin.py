"""Read-only admin for the workflow logs: the trail has no edit path outside the services."""

from django.contrib import admin

from .models import CaseAlert, CaseComment, CaseTransition, Decision, ExtensionRequest, Pause, VerificationRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CaseTransition)
class CaseTransitionAdmin(ReadOnlyAdmin):
    list_display = ("at", "complaint", "action", "from_state", "to_state", "actor")
    list_filter = ("action", "to_state")
    raw_id_fields = ("complaint", "actor")


for model in (CaseComment, Decision, ExtensionRequest, Pause, VerificationRequest, CaseAlert):
    admin.site.register(model, ReadOnlyAdmin)
