"""CJK unigrams and bigrams for short-query search. Pure: no Django imports.

pg_trgm needs three characters, so a one- or two-character Chinese query (吞卡) cannot
use the trigram index. Each complaint therefore stores the distinct CJK characters and
adjacent CJK pairs of its summary and details as space-separated tokens
(``Complaint.search_grams``); PostgreSQL indexes them as an array (GIN), and a query of
one or two CJK characters is one exact token lookup. Pairs never span the summary/details
boundary or a non-CJK character, so a token match means the text contains the query.
``GRAMS_SQL`` computes the same tokens in SQL for back-fills; keep the two in step.
"""

from __future__ import annotations

import re

# CJK Unified Ideographs + Extension A; the same ranges as GRAMS_SQL below.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_RUN_RE = re.compile(f"[{_CJK}]+")
_QUERY_RE = re.compile(f"^[{_CJK}]{{1,2}}$")


def cjk_grams(*texts: str) -> str:
    """Distinct CJK unigrams and bigrams of ``texts``, sorted, space-separated."""
    tokens: set[str] = set()
    for text in texts:
        for run in _RUN_RE.findall(text or ""):
            tokens.update(run)
            tokens.update(run[i : i + 2] for i in range(len(run) - 1))
    return " ".join(sorted(tokens))


def is_short_cjk(query: str) -> bool:
    """A query the gram index answers exactly: one or two CJK characters."""
    return bool(_QUERY_RE.match(query))


# Set-based equivalent for PostgreSQL back-fills: %(summary)s/%(details)s name the columns.
GRAMS_SQL = """coalesce((
    SELECT string_agg(DISTINCT tok, ' ' ORDER BY tok)
    FROM (VALUES ({summary}), ({details})) AS src(t),
         LATERAL generate_series(1, length(src.t)) AS i,
         LATERAL (VALUES (substr(src.t, i, 1)), (substr(src.t, i, 2))) AS g(tok)
    WHERE tok ~ '^[\u3400-\u4dbf\u4e00-\u9fff]{{1,2}}$'
), '')"""
