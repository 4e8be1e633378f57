"""Signals the workflow sends. Other apps subscribe in their ``AppConfig.ready``; the workflow
imports none of them (the integrations outbox listens, nobody imports integrations)."""

from __future__ import annotations

from django.dispatch import Signal

#: Sent *inside* the escalation job's transaction that inserts new deadline marks (``CaseAlert``)
#: with ``alerts``: a list of ``(complaint_id, kind, due_date)`` for the marks this run created.
#: Receivers run in that transaction, so what they record commits or rolls back with the marks.
deadline_alerts_raised = Signal()
