from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "workflow"
    verbose_name = _("流转与时限")

    def ready(self) -> None:
        from complaints.signals import complaint_registered

        from .hooks import on_complaint_registered

        # A new case's clock and timeline start in intake's transaction (complaints imports no workflow).
        complaint_registered.connect(on_complaint_registered, dispatch_uid="workflow.case_registered")
