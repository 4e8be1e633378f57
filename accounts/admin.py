from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from . import services
from .admin_base import ReadOnlyAdmin
from .models import AuditAction, AuditEvent, Organisation, RoleGrant, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "kind", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name_zh", "name_en")
    readonly_fields = ("path",)

    def save_model(self, request, obj, form, change):
        # The materialised path is derived from the parent: go through the service.
        saved = services.org_upsert(
            pk=obj.pk if change else None,
            code=obj.code,
            name_zh=obj.name_zh,
            name_en=obj.name_en,
            kind=obj.kind,
            parent=obj.parent,
            is_active=obj.is_active,
        )
        obj.pk, obj.path = saved.pk, saved.path


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 1


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "org", "is_active", "is_staff")
    list_filter = ("org__kind", "role_grants__role", "is_active", "is_service_account")
    search_fields = ("username", "display_name", "email")
    fieldsets = (*BaseUserAdmin.fieldsets, (_("机构"), {"fields": ("org", "display_name")}))
    inlines = [RoleGrantInline]


class AuditActionFilter(admin.SimpleListFilter):
    """The kinds by name (the field has no choices: a new kind is no migration)."""

    title = _("操作")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return AuditAction.choices

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: the audit trail is append-only."""

    list_display = ("at", "actor", "action_label", "object_type", "object_id")
    list_filter = (AuditActionFilter,)
    search_fields = ("object_id", "actor__username")

    @admin.display(description=_("操作"), ordering="action")
    def action_label(self, obj: AuditEvent) -> str:
        return obj.get_action_display()
