"""Where a complaint being registered comes from: contributed by the app that owns the source.

The intake form (``complaints.views.intake``) is opened from a call (``?recording=<id>``) or a
customer's mail (``?mail=<id>``), but complaints names neither app (issue 13: lower apps expose
points, higher apps contribute; tests/test_import_direction.py). Each app may have
``<app>/intake_sources.py`` with ``source_for(request) -> list[IntakeSource]``: empty when the
request does not name its source, else that one source. A source the request names but the user
may not register from (not visible, already handled) is ``IntakeSource.refused(param)``, and the
form answers 404. Found by ``voc.extensions`` (its one error policy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404, HttpRequest

from voc.extensions import ExtensionPoint


@dataclass(frozen=True)
class IntakeSource:
    param: str  # the request parameter that names the source; the form sends it back (hidden field)
    pk: int | None = None  # None: named, but not one this user may register from (404)
    template: str = ""  # the card shown above the form, rendered with ``context``
    context: dict[str, Any] = field(default_factory=dict)
    initial: dict[str, Any] = field(default_factory=dict)  # the form's prefill
    # Registering from the source is idempotent on this key (one case however often and by whom the
    # form is sent); "" keeps the form's own token.
    intake_key: str = ""
    # Attaches the source to the registered case: ``link(actor, case)``. A ValidationError is shown
    # as a warning: the case is registered either way.
    link: Callable[[Any, Any], None] | None = None

    @classmethod
    def refused(cls, param: str) -> IntakeSource:
        return cls(param=param)


SOURCES = ExtensionPoint("intake_sources.source_for", owner="complaints", item=IntakeSource)


def request_param(request: HttpRequest, name: str) -> str:
    """The source's id as the form sends it back (POST) or a link opens the form with it (GET)."""
    return request.POST.get(name) or request.GET.get(name) or ""


def intake_sources_for(request: HttpRequest) -> list[IntakeSource]:
    """The sources this request registers from (in INSTALLED_APPS order); 404 for a refused one."""
    sources = SOURCES.collect(request)
    if any(source.pk is None for source in sources):
        raise Http404
    return sources


def intake_key_of(sources: list[IntakeSource]) -> str:
    return next((source.intake_key for source in sources if source.intake_key), "")


def initial_of(sources: list[IntakeSource]) -> dict[str, Any] | None:
    initial = {name: value for source in sources for name, value in source.initial.items()}
    return initial or None
