"""Query-string values parsed the same way everywhere."""

from __future__ import annotations


def id_param(raw: str | None) -> int | None:
    """A database id from a GET/POST value, or None. ASCII digits only: ``str.isdigit`` also
    accepts "²" or "٣", which ``int()`` then refuses (a 500 instead of "not found")."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:  # beyond a bigint: not an id
        return None
    return int(raw)
