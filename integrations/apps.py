from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    """Other systems: outbound webhook events and API clients (issue 15). A leaf like analytics:
    it listens to complaints and workflow (signals) and no other app imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"
    verbose_name = _("系统对接")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from workflow.models import CaseTransition
        from workflow.signals import deadline_alerts_raised

        from . import events, schema  # noqa: F401 (schema registers the OpenAPI scheme)

        post_save.connect(
            events.on_transition_saved, sender=CaseTransition, dispatch_uid="integrations.outbox.transition"
        )
        deadline_alerts_raised.connect(events.on_deadline_alerts, dispatch_uid="integrations.outbox.deadline")
