"""Menu link for the mail queue (intake staff)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavLink

from .selectors import can_handle_mail


def links_for(user) -> list[NavLink]:
    if not can_handle_mail(user):
        return []
    return [
        NavLink(
            _("投诉"), _("来信待受理"), reverse("mailintake:queue"), _("客户来信：登记为投诉或认定非投诉"), key="mail"
        )
    ]
