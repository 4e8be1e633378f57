"""The one entry point other apps call when complaints change, so analytics
rollups stay in step with the raw tables.

Callers (complaints and workflow services) call ``complaints_changed(ids)``
from ``transaction.on_commit`` after any change to a complaint's codes, org,
channel, received time or workflow timestamps.
"""

from __future__ import annotations

from collections.abc import Iterable


def complaints_changed(complaint_ids: Iterable[int]) -> None:
    """Refresh the rollup buckets these complaints fall in (implemented by analytics.services)."""
    try:
        from analytics.services import rollup_refresh_for_complaints
    except ImportError:  # analytics rollups not installed yet
        return
    rollup_refresh_for_complaints(list(complaint_ids))
