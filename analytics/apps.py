from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "analytics"
    verbose_name = _("问题分析")

    def ready(self) -> None:
        from complaints.signals import cases_purged, complaints_changed

        from .hooks import on_cases_purged, on_complaints_changed

        complaints_changed.connect(on_complaints_changed, dispatch_uid="analytics.rollup_outbox")
        cases_purged.connect(on_cases_purged, dispatch_uid="analytics.rollup_purged")
        self._connect_hot_terms()

    def _connect_hot_terms(self) -> None:
        """The weekly per-term call counts of the hot-topic panel (``analytics.hot_counts``)."""
        from django.db.models.signals import post_delete, post_save

        from complaints.signals import complaints_changed
        from recordings.models import CallRecording
        from recordings.signals import recording_transcribed

        from . import hot_counts

        recording_transcribed.connect(hot_counts.on_recording_transcribed, dispatch_uid="analytics.hot_terms")
        post_save.connect(hot_counts.on_recording_saved, sender=CallRecording, dispatch_uid="analytics.hot_terms")
        post_delete.connect(hot_counts.on_recording_deleted, sender=CallRecording, dispatch_uid="analytics.hot_terms")
        complaints_changed.connect(hot_counts.on_complaints_changed, dispatch_uid="analytics.hot_terms")
