from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallqaConfig(AppConfig):
    """Call QA (issue 16). A leaf like analytics: it reads recordings, complaints and accounts and
    listens to ``recordings.signals.recording_decoded`` and ``recording_transcribed``; no other app imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "callqa"
    verbose_name = _("通话质检")

    def ready(self) -> None:
        from recordings.signals import recording_decoded, recording_transcribed

        from .hooks import on_recording_decoded, on_recording_transcribed

        recording_transcribed.connect(on_recording_transcribed, dispatch_uid="callqa.score_after_transcription")
        recording_decoded.connect(on_recording_decoded, dispatch_uid="callqa.audio_facts_while_decoded")
        # The tasks are registered in every process: the services send them by name
        # (callqa.services.SCORE_TASK), which keeps services and tasks out of an import cycle.
        from . import tasks  # noqa: F401
