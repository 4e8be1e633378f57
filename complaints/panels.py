"""Extension panels on the case page, contributed by other apps.

Each app may have ``<app>/case_panels.py`` with ``panels_for(request, complaint, **hints) ->
list[Panel]``; the one case page (``complaints.views.case_page``) renders them in ``order``.
``hints`` are what the page knows for this request (e.g. ``bound``: an action form to show
again with its error); a module takes the hints it knows and ignores the rest. Missing modules
are skipped, like ``accounts.navigation`` does for menu links.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

PANEL_APPS = ("workflow", "recordings", "analytics")


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100
    stylesheet: str = ""  # a static path the page links once in its head


def case_panels(request, complaint, **hints) -> list[Panel]:
    panels: list[Panel] = []
    for app in PANEL_APPS:
        try:
            module = import_module(f"{app}.case_panels")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.case_panels":
                raise  # a broken import inside the module must not hide silently
            continue
        try:
            panels.extend(module.panels_for(request, complaint, **hints))
        except Exception:
            # In production one app's broken panel must not take the case page down for an agent on a call.
            if not settings.PRODUCTION:
                raise  # in development and tests a broken panel must fail loudly
            logger.exception("case panel of %s failed for complaint %s", app, complaint.pk)
    return sorted(panels, key=lambda p: p.order)


def render_case_panels(request, complaint, **hints) -> tuple[list[str], list[str]]:
    """(the panels rendered to HTML in order, their stylesheets); a panel that fails to render
    in production is left out (logged)."""
    from django.template.loader import render_to_string

    html: list[str] = []
    panels = case_panels(request, complaint, **hints)
    stylesheets = list(dict.fromkeys(p.stylesheet for p in panels if p.stylesheet))
    for panel in panels:
        try:
            html.append(render_to_string(panel.template, {**panel.context, "case": complaint}, request=request))
        except Exception:
            if not settings.PRODUCTION:
                raise  # in development and tests a broken panel must fail loudly
            logger.exception("case panel %s failed for complaint %s", panel.template, complaint.pk)
    return html, stylesheets
