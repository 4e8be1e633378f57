from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .navigation import collect_links


def navigation(request: HttpRequest) -> dict:
    """Menu links, computed only if a template uses them."""
    return {"nav_links": SimpleLazyObject(lambda: collect_links(request.user))}
