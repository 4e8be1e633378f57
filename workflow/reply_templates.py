"""Reply templates for the draft decision (issue 14): which admin-managed texts a case is offered.

Read on every case page that shows the draft form, so the active templates (a few dozen at
most) are cached briefly, as the taxonomy is: an edit in the admin shows within a minute and
the case page usually pays no query for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache

from .models import ReplyTemplate

CACHE_KEY = "workflow:reply_templates:v1"
CACHE_SECONDS = 60


@dataclass(frozen=True)
class Template:
    id: int
    code: str
    title: str
    body: str


def active_templates() -> list[Template]:
    rows = cache.get(CACHE_KEY)
    if rows is None:
        rows = [
            Template(t.pk, t.code.code, t.title, t.body)
            for t in ReplyTemplate.objects.filter(is_active=True).select_related("code").order_by("code__code", "title")
        ]
        cache.set(CACHE_KEY, rows, CACHE_SECONDS)
    return rows


def templates_for(codes: list[str]) -> list[Template]:
    """Active templates whose code is one of ``codes`` or an ancestor of one (codes nest by
    prefix: B03 ⊃ B0302 ⊃ B030202), the most specific first."""
    codes = [c for c in codes if c]
    found = [t for t in active_templates() if any(c.startswith(t.code) for c in codes)]
    return sorted(found, key=lambda t: (-len(t.code), t.code, t.title))


def templates_for_case(complaint) -> list[Template]:
    """For the case's business (B) and cause (C) codes."""
    return templates_for([_code(complaint, "code_b"), _code(complaint, "code_c")])


def _code(complaint, field: str) -> str:
    # The case page attaches the cached taxonomy's codes; a plain row reads its own.
    code = getattr(complaint, field, None)
    return code.code if code is not None else ""
