"""At-least-once across a real worker crash: a worker process sends an event, the receiver stores
it, and the worker is killed (SIGKILL) before it can mark the delivery sent. The delivery stays
pending under its lease; after the lease the next run sends it again with the same event id, and
the receiver keeps it once. PostgreSQL only: the worker process must open the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import timezone

from integrations import services
from integrations.models import Delivery, DeliveryAttempt
from tests.recordings.worker_support import database_url_for_workers

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker process needs a database it can open"),
]


def test_a_worker_killed_between_send_and_mark_leads_to_a_resend_the_receiver_drops(
    org_tree, staff, new_case, endpoint, receiver
):
    new_case(org_tree.bj)
    delivery = Delivery.objects.get()
    arrived, release = threading.Event(), threading.Event()
    receiver.script.append(("hold", arrived, release))
    env = {**os.environ, "DATABASE_URL": database_url_for_workers(), "PYTHONUNBUFFERED": "1"}
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", "from integrations.tasks import send_webhooks; send_webhooks()"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert arrived.wait(60), worker.stderr.read().decode() if worker.poll() is not None else "no request"
        os.killpg(worker.pid, signal.SIGKILL)  # the worker dies after sending, before marking
        worker.wait(10)
    finally:
        release.set()
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.PENDING, 1)
    assert not DeliveryAttempt.objects.exists()  # nothing was recorded: the process died first
    assert services.deliveries_send_due().sent == 0  # its lease still holds
    with time_machine.travel(delivery.lease_until + timedelta(seconds=1)):
        assert services.deliveries_send_due().sent == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 2)
    ids = [r["headers"]["X-Voc-Event-Id"] for r in receiver.requests]
    assert ids == [str(delivery.event.event_id)] * 2
    assert len(receiver.events) == 1
    assert delivery.sent_at <= timezone.now() + timedelta(minutes=2)
