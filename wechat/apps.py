from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WeChatConfig(AppConfig):
    """WeChat official account and WeCom callbacks into the intake queue (issue 15): a customer's
    text or voice message becomes a draft for intake staff. Builds on complaints and recordings."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "wechat"
    verbose_name = _("微信受理")

    def ready(self) -> None:
        # The Celery tasks are registered in every process, the web's too: the services send them
        # by name (wechat.services.FETCH_VOICE_TASK, ACK_TASK).
        from . import tasks  # noqa: F401
