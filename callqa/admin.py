from django.contrib import admin

from accounts.admin_base import ReadOnlyAdmin

from . import services
from .models import CallScore, QaHit, QaRule, QaRuleVersion


class QaRuleVersionInline(admin.TabularInline):
    model = QaRuleVersion
    extra = 0
    can_delete = False
    fields = ("version", "weight", "active", "phrases", "params", "created_by", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(QaRule)
class QaRuleAdmin(admin.ModelAdmin):
    """Rules are edited here; every change of what a rule checks is saved as a new version
    (``services.rule_save``), and the audited admin site records who changed what. A rule is
    switched off, not deleted (scores point at its versions)."""

    list_display = ("key", "name", "kind", "weight", "active", "version", "updated_at")
    list_filter = ("kind", "active")
    search_fields = ("key", "name", "phrases_zh", "phrases_en")
    readonly_fields = ("version",)
    inlines = [QaRuleVersionInline]

    def save_model(self, request, obj, form, change):
        services.rule_save(actor=request.user, rule=obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(QaRuleVersion)
class QaRuleVersionAdmin(ReadOnlyAdmin):
    list_display = ("rule", "version", "weight", "active", "created_by", "created_at")
    list_filter = ("kind",)


@admin.register(CallScore)
class CallScoreAdmin(ReadOnlyAdmin):
    list_display = ("recording", "score", "agent", "team", "week", "emotion", "scored_at")
    list_filter = ("week",)


@admin.register(QaHit)
class QaHitAdmin(ReadOnlyAdmin):
    list_display = ("score", "rule_key", "second", "speaker", "overturned", "overturned_by")
    list_filter = ("overturned", "rule_key")
