from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailIntakeConfig(AppConfig):
    """E-mail into the intake queue (issue 15): an SMTP listener, drafts for intake staff, replies
    filed to their case. Builds on complaints (the intake form registers a draft)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "mailintake"
    verbose_name = _("邮件受理")

    def ready(self) -> None:
        # The Celery tasks are registered in every process, the web's too: the services send them
        # by name (mailintake.services.ACK_TASK).
        from . import tasks  # noqa: F401
