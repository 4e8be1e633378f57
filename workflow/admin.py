"""Read-only admin for the workflow logs: the trail has no edit path outside the services."""

from django.contrib import admin

from accounts.admin_base import ReadOnlyAdmin

from .models import (
    CaseAlert,
    CaseComment,
    CaseTransition,
    Decision,
    ExtensionRequest,
    Pause,
    ReplyTemplate,
    VerificationRequest,
)


@admin.register(CaseTransition)
class CaseTransitionAdmin(ReadOnlyAdmin):
    list_display = ("at", "complaint", "action", "from_state", "to_state", "actor")
    list_filter = ("action", "to_state")
    raw_id_fields = ("complaint", "actor")


for model in (CaseComment, Decision, ExtensionRequest, Pause, VerificationRequest, CaseAlert):
    admin.site.register(model, ReadOnlyAdmin)


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    """Standard replies per classification code, offered in the draft-decision form (data, edited here)."""

    list_display = ("code", "title", "is_active", "updated_at")
    list_filter = ("is_active", "code__axis")
    search_fields = ("title", "body", "code__code")
    autocomplete_fields = ("code",)
