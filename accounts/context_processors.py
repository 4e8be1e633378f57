from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .navigation import collect_badges, collect_links


def navigation(request: HttpRequest) -> dict:
    """Menu links and the top bar's badges, computed only if a template uses them."""
    return {
        "nav_links": SimpleLazyObject(lambda: collect_links(request.user)),
        "nav_badges": SimpleLazyObject(lambda: collect_badges(request.user)),
    }
