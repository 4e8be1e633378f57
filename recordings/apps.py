from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "recordings"
    verbose_name = _("录音与转写")

    def ready(self) -> None:
        # The Celery tasks are registered in every process, the web's too: the services send them
        # by name (recordings.services.transcription.TRANSCRIBE_TASK), and a task the process
        # knows honours task_always_eager and the tests' patches as the imported task did.
        from . import tasks  # noqa: F401
