"""Substring search over free text that PostgreSQL answers from the pg_trgm indexes.

Django's ``icontains`` compiles to ``UPPER(col) LIKE UPPER(...)`` on PostgreSQL, which
cannot use a trigram index; ``ILIKE`` can. SQLite keeps ``icontains``.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import CharField, Lookup, Q, TextField


class _ILikeContains(Lookup):
    lookup_name = "trgm_icontains"

    def get_db_prep_lookup(self, value, connection):
        escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return ("%s", [f"%{escaped}%"])

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ILIKE {rhs}", [*lhs_params, *rhs_params]


CharField.register_lookup(_ILikeContains)
TextField.register_lookup(_ILikeContains)


def text_contains(query: str, fields: tuple[str, ...]) -> Q:
    """Rows where any of ``fields`` contains ``query`` (case-insensitive)."""
    lookup = "trgm_icontains" if connection.vendor == "postgresql" else "icontains"
    q = Q()
    for field in fields:
        q |= Q(**{f"{field}__{lookup}": query})
    return q
