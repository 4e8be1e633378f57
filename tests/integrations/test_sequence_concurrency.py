"""Two writers recording events of one case at once (a workflow step and the deadline job): the
second waits for the first to commit and takes the next number, so a case's sequence follows the
order its events commit in. PostgreSQL only (SQLite has one writer at a time anyway)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from integrations.events import PendingEvent, events_record
from integrations.models import EventType, OutboundEvent

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locking needs PostgreSQL"),
]


def test_a_second_writer_waits_for_the_first_and_takes_the_next_number(org_tree, staff, new_case, endpoint):
    case = new_case(org_tree.bj)  # event 1: case.created
    first_holds, first_may_commit, second_done = threading.Event(), threading.Event(), threading.Event()
    got: dict[str, int] = {}

    def first():
        try:
            with transaction.atomic():
                [event] = events_record([PendingEvent(case.pk, EventType.STATE_CHANGED, timezone.now())])
                got["first"] = event.sequence
                first_holds.set()
                first_may_commit.wait(20)
        finally:
            connections.close_all()

    def second():
        try:
            first_holds.wait(20)
            with transaction.atomic():
                [event] = events_record([PendingEvent(case.pk, EventType.DEADLINE_NEAR, timezone.now())])
                got["second"] = event.sequence
            second_done.set()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    assert first_holds.wait(20)
    assert not second_done.wait(1.0), "the second writer numbered an event while the first held the case"
    first_may_commit.set()
    for t in threads:
        t.join(20)
    assert got == {"first": 2, "second": 3}
    assert list(
        OutboundEvent.objects.filter(complaint_id=case.pk).order_by("sequence").values_list("type", flat=True)
    ) == [
        EventType.CASE_CREATED,
        EventType.STATE_CHANGED,
        EventType.DEADLINE_NEAR,
    ]
