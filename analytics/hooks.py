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

# Ids per queued task: a bulk change becomes a few bounded messages, not one huge one.
CHUNK = 500


def complaints_changed(complaint_ids: Iterable[int]) -> None:
    """Queue a recompute of the rollup buckets these complaints fall in (Celery, default queue).

    The caller's request does not wait for it: the refresh recomputes whole buckets from
    the raw rows, so it is exact whenever it runs, in whatever order tasks arrive, and may
    run twice. A failure to queue must not turn the caller's successful save into an error
    page, so it is logged; the nightly ``rollup_refresh_recent`` job and
    ``manage.py rollup_rebuild`` repair the rollup.
    """
    from analytics.tasks import rollup_refresh  # late: complaints imports this module

    ids = sorted({int(i) for i in complaint_ids})
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        try:
            rollup_refresh.delay(chunk)
        except Exception:
            log.exception("could not queue the analytics rollup refresh for complaints %s", chunk[:20])
