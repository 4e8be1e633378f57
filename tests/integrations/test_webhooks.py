"""Outbound events: the outbox written with the change, signed delivery to a live receiver,
at-least-once across a worker crash, order per case, retries, failures, scope and the SSRF guard."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from integrations import egress, services, signing
from integrations.models import Delivery, DeliveryAttempt, EventType, OutboundEvent
from integrations.services.delivery import backoff
from tests.workflow.conftest import at
from tests.workflow.test_services import run_to_approved
from workflow import services as wf

pytestmark = pytest.mark.django_db


def close_case(c, s, t0):
    run_to_approved(c, s, t0)
    wf.case_respond(complaint_id=c.pk, actor=s.bj_handler, informed_via="phone", now=t0 + timedelta(days=3))
    wf.case_close(
        complaint_id=c.pk,
        actor=s.bj_manager,
        result="partly_upheld",
        redress_amount="200.00",
        redress_type="fee_waiver",
        root_cause="C0103",
        now=t0 + timedelta(days=4),
    )


def test_a_case_driven_to_closed_reaches_the_receiver_signed_in_order_without_personal_data(
    org_tree, staff, new_case, endpoint, receiver
):
    t0 = at(2026, 3, 2, 12, 25)
    c = new_case(org_tree.bj, received_at=t0)
    close_case(c, staff, t0)

    result = services.deliveries_send_due()

    types = [e["type"] for e in receiver.events]
    assert types[0] == EventType.CASE_CREATED and types[-1] == EventType.CLOSED
    assert set(types[1:-1]) == {EventType.STATE_CHANGED}
    assert [e["sequence"] for e in receiver.events] == list(range(1, len(types) + 1))
    assert result.sent == len(types) and receiver.rejected == []
    states = [e["case"]["status"] for e in receiver.events]
    assert states[0] == "registered" and states[-1] == "closed"
    first = receiver.events[0]
    assert first["case"]["reference"] == c.reference and first["case"]["org"] == "BJ"
    assert set(first["case"]["codes"]) == {"A", "B", "C"}
    wire = json.dumps([r["event"] for r in receiver.requests], ensure_ascii=False)
    for personal in (c.summary, c.details, c.customer.name if c.customer_id else None):
        if personal:
            assert personal not in wire
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == len(types)
    log = DeliveryAttempt.objects.filter(endpoint=endpoint)
    assert log.count() == len(types) and all(a.ok and a.status_code == 200 for a in log)


def test_the_event_is_written_in_the_transaction_of_the_change(org_tree, staff, new_case, endpoint):
    c = new_case(org_tree.bj)
    assert OutboundEvent.objects.filter(complaint_id=c.pk).count() == 1  # case.created
    with pytest.raises(RuntimeError), transaction.atomic():
        wf.case_route(complaint_id=c.pk, actor=staff.ho_officer)
        assert OutboundEvent.objects.filter(complaint_id=c.pk).count() == 2
        raise RuntimeError("the change rolls back")
    assert OutboundEvent.objects.filter(complaint_id=c.pk).count() == 1
    wf.case_route(complaint_id=c.pk, actor=staff.ho_officer)
    assert list(
        OutboundEvent.objects.filter(complaint_id=c.pk).order_by("sequence").values_list("sequence", "type")
    ) == [
        (1, EventType.CASE_CREATED),
        (2, EventType.STATE_CHANGED),
    ]


def test_nothing_is_recorded_without_an_endpoint_that_takes_the_event(org_tree, staff, new_case, settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_URLS = True
    c = new_case(org_tree.bj)
    assert not OutboundEvent.objects.exists()
    services.endpoint_create(name="closed only", url="http://127.0.0.1:9/x", event_types=[EventType.CLOSED])
    wf.case_route(complaint_id=c.pk, actor=staff.ho_officer)
    assert not OutboundEvent.objects.exists()


def test_endpoint_org_scope_and_active_flag(org_tree, staff, new_case, settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_URLS = True
    sh, _ = services.endpoint_create(
        name="SH", url="http://127.0.0.1:9/sh", event_types=[EventType.CASE_CREATED], org=org_tree.sh
    )
    bj, _ = services.endpoint_create(
        name="BJ", url="http://127.0.0.1:9/bj", event_types=[EventType.CASE_CREATED], org=org_tree.bj
    )
    off, _ = services.endpoint_create(
        name="off", url="http://127.0.0.1:9/off", event_types=[EventType.CASE_CREATED], is_active=False
    )
    new_case(org_tree.bj_cy)  # a sub-branch of BJ
    new_case(org_tree.sh)
    assert Delivery.objects.filter(endpoint=bj).count() == 1
    assert Delivery.objects.filter(endpoint=sh).count() == 1
    assert not Delivery.objects.filter(endpoint=off).exists()


def test_a_disabled_endpoint_is_skipped_until_enabled(org_tree, staff, new_case, endpoint, receiver):
    new_case(org_tree.bj)
    endpoint.is_active = False
    endpoint.save()
    assert services.deliveries_send_due().sent == 0 and receiver.requests == []
    endpoint.is_active = True
    endpoint.save()
    assert services.deliveries_send_due().sent == 1 and len(receiver.events) == 1


def test_at_least_once_across_a_worker_crash_and_the_receiver_drops_the_repeat(
    org_tree, staff, new_case, endpoint, receiver, settings
):
    new_case(org_tree.bj)
    delivery = Delivery.objects.get()
    # A worker claims the delivery and POSTs it, then dies before marking it sent.
    claimed = services.delivery_claim(delivery_id=delivery.pk, now=timezone.now())
    assert services.delivery_post(claimed).ok
    # While its lease lasts no other worker sends it again.
    assert services.deliveries_send_due().sent == 0
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    # Once the lease has run out, the next run sends it again, with the same event id.
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.INTEGRATIONS_WEBHOOK_LEASE_S + 1)):
        assert services.deliveries_send_due().sent == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 2)
    ids = [r["headers"]["X-Voc-Event-Id"] for r in receiver.requests]
    assert len(ids) == 2 and ids[0] == ids[1] == str(delivery.event.event_id)
    assert len(receiver.events) == 1  # de-duplicated by event id


def test_a_500_is_retried_with_backoff_and_the_case_order_is_kept(org_tree, staff, new_case, endpoint, receiver):
    c = new_case(org_tree.bj)
    wf.case_route(complaint_id=c.pk, actor=staff.ho_officer)
    receiver.script.append(500)
    result = services.deliveries_send_due()
    assert (result.sent, result.retried) == (0, 1)  # the second event waits behind the first
    first = Delivery.objects.get(sequence=1)
    assert first.last_status_code == 500 and first.last_error == "HTTP 500"
    assert first.next_attempt_at > timezone.now() + backoff(1) - timedelta(seconds=5)
    assert services.deliveries_send_due().sent == 0  # not due yet
    with time_machine.travel(first.next_attempt_at + timedelta(seconds=1)):
        assert services.deliveries_send_due().sent == 2
    assert [e["sequence"] for e in receiver.events] == [1, 2]
    assert list(
        DeliveryAttempt.objects.filter(delivery=first).order_by("attempt").values_list("status_code", "ok")
    ) == [
        (500, False),
        (200, True),
    ]


def test_after_the_last_attempt_the_delivery_fails_with_its_error_and_the_next_event_goes(
    org_tree, staff, new_case, endpoint, receiver, settings
):
    settings.INTEGRATIONS_WEBHOOK_MAX_ATTEMPTS = 2
    c = new_case(org_tree.bj)
    wf.case_route(complaint_id=c.pk, actor=staff.ho_officer)
    receiver.script.extend([503, 502])
    services.deliveries_send_due()
    with time_machine.travel(timezone.now() + backoff(1) + timedelta(seconds=1)):
        result = services.deliveries_send_due()
    first = Delivery.objects.get(sequence=1)
    assert (first.status, first.attempts, first.last_error) == (Delivery.Status.FAILED, 2, "HTTP 502")
    assert result.failed == 1 and result.sent == 1
    assert [e["sequence"] for e in receiver.events] == [2]


def test_a_receiver_that_does_not_answer_in_time_is_an_error_and_retried(
    org_tree, staff, new_case, endpoint, receiver, settings
):
    settings.INTEGRATIONS_WEBHOOK_TIMEOUT_S = 0.3
    new_case(org_tree.bj)
    receiver.script.append(("stall", 1.0))
    assert services.deliveries_send_due().retried == 1
    attempt = DeliveryAttempt.objects.get()
    assert attempt.status_code is None and "timed out" in attempt.error.lower()
    assert Delivery.objects.get().status == Delivery.Status.PENDING


def test_deadline_events_come_from_the_escalation_job(org_tree, staff, new_case, endpoint, receiver):
    c = new_case(org_tree.bj, received_at=at(2026, 3, 2, 10))
    wf.escalation_run(now=at(2026, 3, 16, 9))  # due 17 March: due soon
    wf.escalation_run(now=at(2026, 3, 18, 9))  # overdue
    wf.escalation_run(now=at(2026, 3, 18, 9, 15))  # nothing new
    services.deliveries_send_due()
    assert [(e["type"], e["data"]) for e in receiver.events[1:]] == [
        (EventType.DEADLINE_NEAR, {"due_date": "2026-03-17"}),
        (EventType.OVERDUE, {"due_date": "2026-03-17"}),
    ]
    assert receiver.events[0]["case"]["reference"] == c.reference


def test_the_signature_covers_the_timestamp_and_the_body_within_the_replay_window():
    body = b'{"id":"e1"}'
    header = signing.sign("s3cret", 1_800_000_000, body)
    assert signing.verify(header, body, "s3cret", now=1_800_000_100) == 1_800_000_000
    with pytest.raises(signing.SignatureError, match="replay"):
        signing.verify(header, body, "s3cret", now=1_800_000_000 + 301)
    with pytest.raises(signing.SignatureError, match="match"):
        signing.verify(header, b'{"id":"e2"}', "s3cret", now=1_800_000_000)
    with pytest.raises(signing.SignatureError, match="match"):
        signing.verify(header, body, "other", now=1_800_000_000)
    forged = header.replace("t=1800000000", "t=1800000200")  # a fresh timestamp on an old signature
    with pytest.raises(signing.SignatureError, match="match"):
        signing.verify(forged, body, "s3cret", now=1_800_000_200)
    for bad in (None, "", "v1=abc", "t=x,v1=abc"):
        with pytest.raises(signing.SignatureError):
            signing.verify(bad, body, "s3cret", now=1_800_000_000)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://100.64.0.1/hook",
    ],
)
def test_ssrf_guard_refuses_internal_addresses_in_production(url, settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_URLS = False
    settings.INTEGRATIONS_REQUIRE_HTTPS = False
    assert egress.url_problem(url)
    with pytest.raises(ValidationError):
        services.endpoint_create(name="x", url=url, event_types=[EventType.CLOSED])


def test_production_refuses_plain_http_and_public_addresses_pass(settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_URLS = False
    settings.INTEGRATIONS_REQUIRE_HTTPS = True
    assert egress.url_problem("http://93.184.215.14/hook")
    assert egress.url_problem("https://93.184.215.14/hook") is None
    assert egress.url_problem("ftp://93.184.215.14/hook")
    assert egress.url_problem("https:///nohost")


def test_the_guard_also_runs_before_each_request(org_tree, staff, new_case, endpoint, receiver, settings):
    new_case(org_tree.bj)
    settings.INTEGRATIONS_ALLOW_PRIVATE_URLS = False  # e.g. the name now resolves inward
    assert services.deliveries_send_due().retried == 1
    assert receiver.requests == []
    assert DeliveryAttempt.objects.get().error.startswith("refused:")


def test_a_secret_that_cannot_be_decrypted_is_a_logged_refusal_not_a_crash(
    org_tree, staff, new_case, endpoint, receiver
):
    new_case(org_tree.bj)
    type(endpoint).objects.filter(pk=endpoint.pk).update(secret_encrypted="not-a-fernet-token")
    assert services.deliveries_send_due().retried == 1
    assert receiver.requests == []
    assert "cannot be decrypted" in DeliveryAttempt.objects.get().error


def test_the_guard_answers_in_the_ui_language(settings):
    from django.utils import translation

    settings.INTEGRATIONS_ALLOW_PRIVATE_URLS = False
    assert "内网" in egress.url_problem("http://10.0.0.1/h")
    with translation.override("en"):
        assert egress.url_problem("http://10.0.0.1/h") == (
            "The URL points to an internal or local address; events cannot be sent there"
        )


def test_old_finished_events_are_pruned_and_pending_ones_kept(org_tree, staff, new_case, endpoint, receiver):
    done = new_case(org_tree.bj)
    services.deliveries_send_due()
    waiting = new_case(org_tree.sh)  # not sent yet
    later = timezone.now() + timedelta(days=31)
    assert services.outbox_prune(now=later) == 1
    assert list(OutboundEvent.objects.values_list("complaint_id", flat=True)) == [waiting.pk]
    assert not DeliveryAttempt.objects.filter(delivery__complaint_id=done.pk).exists()
    assert services.outbox_prune(now=timezone.now()) == 0  # nothing is old yet


def test_without_an_endpoint_a_workflow_step_pays_one_query_for_the_outbox(org_tree, staff, new_case):
    from django.db import connection
    from django.db.models.signals import post_save
    from django.test.utils import CaptureQueriesContext

    from integrations.events import on_transition_saved
    from workflow.models import CaseTransition

    def route_queries(case) -> int:
        with CaptureQueriesContext(connection) as queries:
            wf.case_route(complaint_id=case.pk, actor=staff.ho_officer)
        return len(queries)

    with_outbox = route_queries(new_case(org_tree.bj))
    post_save.disconnect(sender=CaseTransition, dispatch_uid="integrations.outbox.transition")
    try:
        without = route_queries(new_case(org_tree.bj))
    finally:
        post_save.connect(on_transition_saved, sender=CaseTransition, dispatch_uid="integrations.outbox.transition")
    assert with_outbox == without + 1  # the active endpoints, read once
