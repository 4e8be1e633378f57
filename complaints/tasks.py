"""Celery tasks of the complaints app: thin wrappers over services (idempotent, safe to retry)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="complaints.retention_run", ignore_result=True)
def retention_run() -> dict:
    """Weekly: apply the retention policy (a dry run with counts unless VOC_RETENTION's scheduled_apply)."""
    from .services.retention import retention_policy
    from .services.retention import retention_run as run

    policy = retention_policy()
    report = run(apply=policy.scheduled_apply, policy=policy)
    return {"dry_run": report.dry_run, "cases": report.cases, "held": sum(report.held.values())}
