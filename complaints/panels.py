"""Extension panels on the case page, contributed by other apps.

Each app may have ``<app>/case_panels.py`` with ``panels_for(request, complaint, **hints) ->
list[Panel]``; the one case page (``complaints.views.case_page``) renders them in ``order``.
``hints`` are what the page knows for this request (e.g. ``bound``: an action form to show
again with its error); a module takes the hints it knows and ignores the rest. The apps are
found by ``voc.extensions`` (installed apps, its one error policy: loud in development and
tests, logged and left out in production).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from voc.extensions import ExtensionPoint

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100
    stylesheet: str = ""  # a static path the page links once in its head


CASE_PANELS = ExtensionPoint("case_panels.panels_for", owner="complaints", item=Panel)
# The customer page (complaints.views.customer_page) asks the same way: ``<app>/customer_panels.py``
# with ``panels_for(request, view) -> list[Panel]``, ``view`` a ``customer_selectors.CustomerView``
# whose cases are already scoped to the user (a panel shows nothing about any other case).
CUSTOMER_PANELS = ExtensionPoint("customer_panels.panels_for", owner="complaints", item=Panel)


def case_panels(request, complaint, **hints) -> list[Panel]:
    # Sorted by ``order``; equal orders keep INSTALLED_APPS order (the sort is stable).
    return sorted(CASE_PANELS.collect(request, complaint, **hints), key=lambda p: p.order)


def render_case_panels(request, complaint, **hints) -> tuple[list[str], list[str]]:
    """(the panels rendered to HTML in order, their stylesheets); a panel that fails to render
    in production is left out (logged)."""
    return _render(request, case_panels(request, complaint, **hints), {"case": complaint}, f"complaint {complaint.pk}")


def render_customer_panels(request, view) -> tuple[list[str], list[str]]:
    """The customer page's panels from the other apps, as ``render_case_panels``."""
    panels = sorted(CUSTOMER_PANELS.collect(request, view), key=lambda p: p.order)
    return _render(request, panels, {"view": view}, f"customer {view.customer.pk}")


def _render(request, panels: list[Panel], context: dict, what: str) -> tuple[list[str], list[str]]:
    from django.template.loader import render_to_string

    html: list[str] = []
    stylesheets = list(dict.fromkeys(p.stylesheet for p in panels if p.stylesheet))
    for panel in panels:
        try:
            html.append(render_to_string(panel.template, {**panel.context, **context}, request=request))
        except Exception:
            if not settings.PRODUCTION:
                raise  # in development and tests a broken panel must fail loudly
            logger.exception("panel %s failed for %s", panel.template, what)
    return html, stylesheets
