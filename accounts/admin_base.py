"""Admin building blocks shared by every app (accounts is the base app: others import it)."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Operators look; records change only through the services (and audit/log tables are
    append-only), so the admin offers no add, change or delete."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
