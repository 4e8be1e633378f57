"""Reads of the classification taxonomy: pickers, validation of codes for new cases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from . import taxonomy
from .models import ClassificationCode

_CACHE_KEY = "taxonomy:codes:v2"
_CACHE_SECONDS = 60


@dataclass(frozen=True)
class CodeRow:
    code: str
    axis: str
    level: int
    parent: str | None
    name_zh: str
    name_en: str
    keywords_zh: str
    keywords_en: str
    is_active: bool
    valid_from: dt.date | None
    valid_to: dt.date | None
    is_leaf: bool
    id: int = 0
    parent_id: int | None = None

    def selectable_on(self, day: dt.date) -> bool:
        """May a NEW case use this code on ``day``? Active, in its validity window, and a leaf."""
        if not (self.is_active and self.is_leaf):
            return False
        if self.valid_from and day < self.valid_from:
            return False
        return not (self.valid_to and day > self.valid_to)


def taxonomy_rows() -> list[CodeRow]:
    """All codes (about 85), cached briefly; the admin's edits show within a minute."""
    rows = cache.get(_CACHE_KEY)
    if rows is None:
        children = ClassificationCode.objects.filter(parent=OuterRef("pk"))
        qs = (
            ClassificationCode.objects.annotate(has_children=Exists(children)).select_related("parent").order_by("code")
        )
        rows = [
            CodeRow(
                code=c.code,
                axis=c.axis,
                level=c.level,
                parent=c.parent.code if c.parent else None,
                name_zh=c.name_zh,
                name_en=c.name_en,
                keywords_zh=c.keywords_zh,
                keywords_en=c.keywords_en,
                is_active=c.is_active,
                valid_from=c.valid_from,
                valid_to=c.valid_to,
                is_leaf=not c.has_children,
                id=c.id,
                parent_id=c.parent_id,
            )
            for c in qs
        ]
        cache.set(_CACHE_KEY, rows, _CACHE_SECONDS)
    return rows


def attach_codes(obj, fields: tuple[str, ...]) -> None:
    """Fill ``obj``'s classification-code relations (``code_a``, ``root_cause_code``, ...) from
    the cached taxonomy instead of joining the code table once per relation: the case page's
    read of the case then plans and runs with four fewer joins. A code newer than the cache
    (at most a minute old) is left to be read if the page asks for it."""
    by_id = None
    for name in fields:
        code_id = getattr(obj, f"{name}_id")
        if code_id is None:
            continue
        if by_id is None:
            by_id = {r.id: r for r in taxonomy_rows()}
        row = by_id.get(code_id)
        if row is not None:
            obj._meta.get_field(name).set_cached_value(obj, _code_from_row(row))


def taxonomy_cache_clear() -> None:
    cache.delete(_CACHE_KEY)


def code_search(
    query: str, *, axis: str | None = None, selectable_only: bool = False, limit: int = 20
) -> list[CodeRow]:
    """Picker search by code prefix or Chinese/English words (e.g. 年费 → B030202)."""
    rows = taxonomy_rows()
    if axis:
        rows = [r for r in rows if r.axis == axis]
    if selectable_only:
        today = timezone.localdate()
        rows = [r for r in rows if r.selectable_on(today)]
    if not query.strip():
        return rows[:limit]
    return taxonomy.search(query, rows, limit=limit)


def code_for_new_case(code: str, *, axis: str, on: dt.date | None = None) -> ClassificationCode:
    """The code a new case may carry on ``axis``, or ``ValueError`` with a clear message.

    Rejects bad format, unknown codes, the wrong axis, non-leaf codes and retired codes.
    """
    parsed = taxonomy.parse_code(code)  # raises ValueError with a translated message
    if parsed.axis != axis:
        raise ValueError(_("代码 %(code)s 不属于 %(axis)s 维度") % {"code": code, "axis": axis})
    row = next((r for r in taxonomy_rows() if r.code == code), None)
    if row is None:
        raise ValueError(_("未知的分类代码：%(code)s") % {"code": code})
    if not row.is_leaf:
        raise ValueError(_("请选择末级代码，%(code)s 还有下级") % {"code": code})
    if not row.selectable_on(on or timezone.localdate()):
        raise ValueError(_("代码 %(code)s 已停用，不能用于新投诉") % {"code": code})
    return _code_from_row(row)


def _code_from_row(row: CodeRow) -> ClassificationCode:
    # Built from the cached row, not fetched: registration validates three codes per case
    # and the rows are at most a minute old (the same freshness as the pickers).
    obj = ClassificationCode(
        id=row.id,
        code=row.code,
        axis=row.axis,
        level=row.level,
        parent_id=row.parent_id,
        name_zh=row.name_zh,
        name_en=row.name_en,
        keywords_zh=row.keywords_zh,
        keywords_en=row.keywords_en,
        is_active=row.is_active,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
    )
    obj._state.adding, obj._state.db = False, "default"
    return obj
