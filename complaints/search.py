"""Substring search over free text that PostgreSQL answers from the pg_trgm indexes.

Django's ``icontains`` compiles to ``UPPER(col) LIKE UPPER(...)`` on PostgreSQL, which
cannot use a trigram index; ``ILIKE`` can. One- or two-character CJK queries have no
trigram and use the gram tokens instead (complaints.grams). SQLite keeps ``icontains``.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import CharField, Lookup, Q, TextField

from .grams import is_short_cjk


class _ILikeContains(Lookup):
    lookup_name = "trgm_icontains"

    def get_db_prep_lookup(self, value, connection):
        escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return ("%s", [f"%{escaped}%"])

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ILIKE {rhs}", [*lhs_params, *rhs_params]


class _GramsHas(Lookup):
    """``string_to_array(col, ' ') @> ARRAY[token]``: matches the cmp_search_grams GIN index."""

    lookup_name = "grams_has"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"string_to_array({lhs}, ' ') @> ARRAY[{rhs}]::text[]", [*lhs_params, *rhs_params]


CharField.register_lookup(_ILikeContains)
TextField.register_lookup(_ILikeContains)
TextField.register_lookup(_GramsHas)


def text_contains(query: str, fields: tuple[str, ...]) -> Q:
    """Rows where any of ``fields`` contains ``query`` (case-insensitive)."""
    if connection.vendor == "postgresql" and is_short_cjk(query) and set(fields) == {"summary", "details"}:
        # No trigram in 1–2 characters: one exact token lookup in the gram index instead.
        return Q(search_grams__grams_has=query)
    lookup = "trgm_icontains" if connection.vendor == "postgresql" else "icontains"
    q = Q()
    for field in fields:
        q |= Q(**{f"{field}__{lookup}": query})
    return q
