"""The "not a complaint" answer as both intake queues' pages take it (``complaints.intake_drafts``):
the POSTed reason to the queue's service, its refusal as the error to show."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _


def not_complaint_from_post(request: HttpRequest, dismiss: Callable[[str], object]) -> str:
    """Call ``dismiss(reason)`` with the POSTed reason. Returns "" when done (a success message
    is queued) or the error to show; a draft the user may not handle is a 404."""
    try:
        dismiss(request.POST.get("reason", ""))
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        return " ".join(exc.messages)
    messages.success(request, _("已认定为非投诉"))
    return ""
