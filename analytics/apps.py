from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "analytics"
    verbose_name = _("问题分析")

    def ready(self) -> None:
        from complaints.signals import complaints_changed

        from .hooks import on_complaints_changed

        complaints_changed.connect(on_complaints_changed, dispatch_uid="analytics.rollup_outbox")
