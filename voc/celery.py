"""Celery app. Tasks live in each app's ``tasks.py`` and only call services."""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery

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


@app.task(name="voc.celery.heartbeat")
def heartbeat() -> str:
    """A no-op periodic task: proves beat and the worker are alive."""
    return "ok"
