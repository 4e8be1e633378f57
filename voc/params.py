"""Query-string values parsed the same way everywhere."""

from __future__ import annotations


def id_param(raw: str | None) -> int | None:
    """A database id from a GET/POST value, or None. ASCII digits only: ``str.isdigit`` also
    accepts "²" or "٣", which ``int()`` then refuses (a 500 instead of "not found")."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:  # beyond a bigint: not an id
        return None
    return int(raw)


class IdConverter:
    """``<id:pk>`` in URLs: 1-18 ASCII digits (a bigint). ``<int:pk>`` also matches 30 digits,
    which the database then refuses (SQLite: OverflowError, a 500); here the URL just does not
    match: a 404."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
