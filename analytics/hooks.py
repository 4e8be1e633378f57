"""The one entry point other apps call when complaints change, so analytics
rollups stay in step with the raw tables.

Callers (complaints and workflow services) call ``complaints_changed(ids)``
from ``transaction.on_commit`` after any change to a complaint's codes, org,
channel, received time, status or workflow timestamps.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

log = logging.getLogger(__name__)


def complaints_changed(complaint_ids: Iterable[int]) -> None:
    """Recompute the rollup buckets these complaints fall in.

    Runs after the caller's commit: a failure here must not turn the caller's
    successful save into an error page, so it is logged; the nightly
    ``rollup_refresh_recent`` job and ``manage.py rollup_rebuild`` repair the rollup.
    """
    from analytics.services import rollup_refresh_for_complaints  # late: complaints imports this module

    try:
        rollup_refresh_for_complaints(list(complaint_ids))
    except Exception:
        log.exception("analytics rollup refresh failed for complaints %s", list(complaint_ids)[:20])
