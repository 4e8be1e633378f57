from django.contrib import admin
from django.db import transaction

from accounts.admin_base import ReadOnlyAdmin

from .models import ClassificationCode, Complaint, RegulatorInquiry, RoutingRule
from .selectors import routing_rules_cache_clear


@admin.register(ClassificationCode)
class ClassificationCodeAdmin(admin.ModelAdmin):
    """The taxonomy is data: officers add, rename and retire codes here.

    Codes are never deleted (cases keep them); retire with ``is_active``/``valid_to``.
    """

    list_display = ("code", "name_zh", "name_en", "axis", "level", "is_active", "valid_from", "valid_to")
    list_filter = ("axis", "level", "is_active")
    search_fields = ("code", "name_zh", "name_en", "keywords_zh", "keywords_en")
    readonly_fields = ("axis", "level")
    autocomplete_fields = ("parent",)
    ordering = ("code",)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    """Routing is data: head office edits the rules here; lowest priority number matches first."""

    list_display = ("priority", "code_b_prefix", "channel", "target", "target_org", "is_active", "note")
    list_editable = ("is_active",)
    list_filter = ("is_active", "target", "channel")
    ordering = ("priority", "id")

    # Registration reads the rules from a short cache; an edit here applies at once.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        transaction.on_commit(routing_rules_cache_clear)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        transaction.on_commit(routing_rules_cache_clear)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        transaction.on_commit(routing_rules_cache_clear)


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin):
    """Read-only view for administrators: cases change through the services, never here."""

    list_display = ("reference", "received_at", "code_b", "responsible_org", "status", "is_repeat")
    list_filter = ("channel", "status", "is_repeat", "is_regulator_referred")
    search_fields = ("reference",)
    list_select_related = ("code_b", "responsible_org")
    show_full_result_count = False  # no COUNT(*) over a million rows
    exclude = ("customer",)


@admin.register(RegulatorInquiry)
class RegulatorInquiryAdmin(admin.ModelAdmin):
    """Head office records a regulator's inquiry about a case here; while it is open (no end date)
    the retention job leaves the case alone. Changes are audited (AuditedAdminSite)."""

    list_display = ("reference", "complaint", "opened_on", "closed_on", "recorded_by")
    list_filter = ("closed_on",)
    search_fields = ("reference", "complaint__reference")
    raw_id_fields = ("complaint",)
    readonly_fields = ("recorded_by", "recorded_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False  # an inquiry is closed with its end date, never erased
