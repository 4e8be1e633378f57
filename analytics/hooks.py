"""How analytics rollups stay in step with the raw tables.

Complaints and workflow services send ``complaints.signals.complaints_changed`` inside the
transaction that changes a complaint's codes, org, channel, received time, status or workflow
timestamps; analytics listens (``on_complaints_changed``) and nobody imports analytics.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db.transaction import on_commit
from django.utils import timezone

log = logging.getLogger(__name__)

# Ids per outbox insert: a bulk change becomes a few bounded statements.
CHUNK = 500
FLUSH_KEY = "analytics:rollup-flush-queued"


def complaints_changed(complaint_ids: Iterable[int]) -> None:
    """Record that these complaints' rollup buckets must be recomputed, and ask for a flush.

    The ids go to the ``RollupPending`` outbox in the caller's transaction: if the change
    commits, so does the request to refresh, whether or not the broker is up (the beat job
    ``analytics.rollup_flush`` every minute picks up whatever is left). One row per complaint,
    however often it changes, and at most one flush message per ``ANALYTICS_FLUSH_DEBOUNCE_S``
    per process: a burst of changes becomes one recompute of each (day, org) bucket.
    The caller's request does not wait for the recompute, and a failure to queue the flush
    message never turns the caller's save into an error page (it is logged).
    """
    from .models import RollupPending

    ids = sorted({int(i) for i in complaint_ids})
    if not ids:
        return
    now = timezone.now()
    for i in range(0, len(ids), CHUNK):
        RollupPending.objects.bulk_create(
            [RollupPending(complaint_id=pk, queued_at=now) for pk in ids[i : i + CHUNK]],
            update_conflicts=True,
            unique_fields=["complaint_id"],
            update_fields=["queued_at"],
        )
    on_commit(request_flush)


def on_complaints_changed(sender, complaint_ids, **kwargs) -> None:
    """Receiver of ``complaints.signals.complaints_changed`` (connected in AnalyticsConfig.ready)."""
    complaints_changed(complaint_ids)


def request_flush() -> None:
    """Send one flush message unless one was sent in the last few seconds (coalescing)."""
    from analytics.tasks import rollup_flush  # late: loaded when a flush is first asked for

    debounce = settings.ANALYTICS_FLUSH_DEBOUNCE_S
    try:
        if debounce and not cache.add(FLUSH_KEY, 1, timeout=debounce):
            return  # a flush is already on its way; it takes every pending row
        rollup_flush.apply_async(countdown=debounce or None)
    except Exception:
        cache.delete(FLUSH_KEY)
        log.exception("could not queue the analytics rollup flush (the minute job will pick it up)")


def on_cases_purged(sender, days, **kwargs) -> None:
    """Receiver of ``complaints.signals.cases_purged`` (connected in AnalyticsConfig.ready): the
    retention job deleted cases with the rows the rollups remembered them by, so the days they were
    received on are rebuilt. A day that fails is logged and left: the nightly job and
    ``manage.py rollup_rebuild`` repair it, and the purge itself is done."""
    from .services import rollup_rebuild

    for day in sorted(days):
        try:
            rollup_rebuild(start=day, end=day)
        except Exception:
            log.exception("retention: could not rebuild the rollup for %s", day)
