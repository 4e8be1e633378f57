from django.contrib import admin

from .models import ImprovementItem


@admin.register(ImprovementItem)
class ImprovementItemAdmin(admin.ModelAdmin):
    list_display = ("title", "owner_org", "status", "due_date", "created_at")
    list_filter = ("status", "source")
    search_fields = ("title",)
    raw_id_fields = ("cases",)
