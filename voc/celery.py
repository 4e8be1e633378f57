"""Celery app. Tasks live in each app's ``tasks.py`` and only call services."""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voc.settings")

app = Celery("voc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def ensure_broker_folders() -> None:
    """Create the filesystem-transport folders; the transport does not."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


ensure_broker_folders()


@signals.setup_logging.connect
def use_django_logging(**kwargs) -> None:
    """Workers and beat log through Django's LOGGING, whose every handler masks card, phone
    and ID numbers; without this receiver Celery replaces the root handlers with its own,
    and its task received/succeeded/failed lines print task arguments and results."""
    from django.conf import settings
    from django.utils.log import configure_logging

    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)


@signals.worker_init.connect
@signals.beat_init.connect
def refuse_unsafe_keys(**kwargs) -> None:
    """Celery runs no system checks: refuse to start without real keys for personal data.

    Celery's signal dispatch catches an ``Exception`` from a receiver, logs it and goes on (the
    worker would start with the development keys), so the refusal is a ``SystemExit``, which
    it lets through: the worker or beat process stops with the check's message."""
    from django.core.exceptions import ImproperlyConfigured

    from complaints.checks import refuse_unsafe_keys as check

    try:
        check()
    except ImproperlyConfigured as exc:
        raise SystemExit(f"ImproperlyConfigured: {exc}") from exc


@app.task(name="voc.celery.heartbeat")
def heartbeat() -> str:
    """A no-op periodic task: proves beat and the worker are alive."""
    return "ok"
