"""Analytics jobs: thin wrappers over services, idempotent, safe to retry."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from . import services


@shared_task(
    name="analytics.rollup_refresh",
    autoretry_for=(OperationalError,),  # lock timeouts / deadlocks: the recompute is idempotent
    retry_backoff=True,
    max_retries=5,
)
def rollup_refresh(complaint_ids: list[int]) -> int:
    """Recompute the rollup buckets of these complaints from the raw rows (queued by the hook)."""
    return services.rollup_refresh_for_complaints(complaint_ids)


@shared_task(
    name="analytics.rollup_flush",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def rollup_flush() -> int:
    """Recompute the buckets of every complaint in the outbox (queued by the hook, and every
    minute by beat as the safety net for a lost message or a broker outage)."""
    return services.rollup_flush_pending()


@shared_task(name="analytics.rising_issues_notify")
def rising_issues_notify() -> int:
    """Weekly: notify head office of issues rising in the last complete week (deduplicated)."""
    return services.rising_issues_notify()


@shared_task(name="analytics.rollup_refresh_recent")
def rollup_refresh_recent(days: int = 3) -> int:
    """Nightly safety net: rebuild the last few days of the rollup from the raw rows."""
    today = timezone.localdate()
    return services.rollup_rebuild(start=today - timedelta(days=days - 1), end=today)


@shared_task(name="analytics.hot_terms_refresh")
def hot_terms_refresh() -> int:
    """Hourly: recompute the stored hot-topic panels read lately, before they get old."""
    return services.hot_terms_refresh()
