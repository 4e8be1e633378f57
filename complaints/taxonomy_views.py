from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from .taxonomy_selectors import code_search


@require_GET
@login_required
def taxonomy_search(request: HttpRequest) -> JsonResponse:
    """JSON for code pickers: ?q=年费&axis=B&selectable=1 (selectable = active leaf codes)."""
    axis = request.GET.get("axis", "").upper() or None
    if axis and axis not in {"A", "B", "C"}:
        return JsonResponse({"error": {"code": "bad_axis", "message": "axis must be A, B or C"}}, status=400)
    try:
        limit = max(1, min(int(request.GET.get("limit", 20)), 100))
    except ValueError:
        limit = 20
    rows = code_search(
        request.GET.get("q", ""), axis=axis, selectable_only=request.GET.get("selectable") == "1", limit=limit
    )
    english = (get_language() or "").startswith("en")
    return JsonResponse(
        {
            "results": [
                {
                    "code": r.code,
                    "axis": r.axis,
                    "level": r.level,
                    "parent": r.parent,
                    "name_zh": r.name_zh,
                    "name_en": r.name_en,
                    "label": f"{r.code} {r.name_en if english else r.name_zh}",
                    "is_leaf": r.is_leaf,
                    "is_active": r.is_active,
                }
                for r in rows
            ]
        }
    )
