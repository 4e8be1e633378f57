"""The recordings panel on the case page (``complaints.panels.CASE_PANELS`` collects it)."""

from __future__ import annotations

from django.template.loader import render_to_string

from complaints.panels import Panel

from . import selectors
from .views import panel_context


def panels_for(request, complaint, **_hints) -> list[Panel]:
    """One panel: the case's recordings (live status, player) and the upload form."""
    if not request.user.is_authenticated:
        return []
    ctx = panel_context(request, complaint)
    if not ctx["rows"] and not selectors.can_upload(request.user):
        return []
    # Pre-rendered so the panel does not depend on how the case page passes context.
    html = render_to_string("recordings/_panel_body.html", ctx, request=request)
    return [Panel(template="recordings/panel.html", context={"recordings_panel": html}, order=40)]
