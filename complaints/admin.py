from django.contrib import admin

from .models import ClassificationCode


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
