"""The rollup always equals an aggregation of the raw complaints, whatever changes arrive."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import tasks
from analytics.hooks import complaints_changed
from analytics.models import DailyRollup, MonthlyRollup, RollupPending
from analytics.rollup import local_day
from analytics.services import rollup_rebuild
from complaints.models import Complaint
from tests.analytics.conftest import at, make_case
from tests.complaints.factories import code

pytestmark = pytest.mark.django_db

B_CODES = ["B030202", "B030101", "B0101", "B99"]


def raw_counts() -> Counter:
    """Independent expectation, computed in Python from the raw rows (test-only)."""
    out: Counter = Counter()
    for c in Complaint.objects.exclude(status="merged").select_related("code_b"):
        day = local_day(c.received_at)
        key = (day, c.responsible_org_id, c.code_b.code, c.channel)
        out[key + ("total",)] += 1
        out[key + ("repeat",)] += int(c.is_repeat)
        out[key + ("decided_on_time",)] += int(c.decision_timely is True)
        out[key + ("fr_4h",)] += int(
            c.first_response_at is not None and c.first_response_at <= c.received_at + timedelta(hours=4)
        )
        out[key + ("redress",)] += int((c.redress_amount or 0) > 0)
    return +out


def raw_monthly() -> Counter:
    """Independent expectation for the monthly tier: (month, org, B leaf, C leaf) -> total, repeat."""
    out: Counter = Counter()
    for c in Complaint.objects.exclude(status="merged").select_related("code_b", "code_c"):
        key = (local_day(c.received_at).replace(day=1), c.responsible_org_id, c.code_b.code, c.code_c.code)
        out[key + ("total",)] += 1
        out[key + ("repeat",)] += int(c.is_repeat)
    return +out


def monthly_counts() -> Counter:
    out: Counter = Counter()
    for r in MonthlyRollup.objects.all():
        key = (r.month, r.org_id, r.code_b, r.code_c)
        out[key + ("total",)] += r.total
        out[key + ("repeat",)] += r.repeat
    return +out


def rollup_counts() -> Counter:
    out: Counter = Counter()
    for r in DailyRollup.objects.values("day", "org_id", "code_b", "channel").annotate(
        total_=Sum("total"), repeat_=Sum("repeat"), d15=Sum("decided_on_time"), fr=Sum("fr_4h"), rc=Sum("redress_count")
    ):
        key = (r["day"], r["org_id"], r["code_b"], r["channel"])
        out[key + ("total",)] += r["total_"]
        out[key + ("repeat",)] += r["repeat_"]
        out[key + ("decided_on_time",)] += r["d15"]
        out[key + ("fr_4h",)] += r["fr"]
        out[key + ("redress",)] += r["rc"]
    return +out


operation = st.one_of(
    st.tuples(st.just("insert"), st.integers(0, 2), st.integers(0, 5), st.sampled_from(B_CODES), st.booleans()),
    st.tuples(st.just("move_org"), st.integers(0, 50), st.integers(0, 2)),
    st.tuples(st.just("recode"), st.integers(0, 50), st.sampled_from(B_CODES)),
    st.tuples(st.just("redate"), st.integers(0, 50), st.integers(0, 45)),  # crosses month ends
    st.tuples(st.just("decide"), st.integers(0, 50), st.integers(0, 30)),
    st.tuples(st.just("respond"), st.integers(0, 50), st.integers(0, 10)),
    st.tuples(st.just("merge"), st.integers(0, 50)),
    st.tuples(st.just("redress"), st.integers(0, 50)),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=1, max_size=12))
def test_rollup_equals_raw_after_random_inserts_and_updates(org_tree, today, ops):
    Complaint.objects.all().delete()
    DailyRollup.objects.all().delete()
    MonthlyRollup.objects.all().delete()
    orgs = [org_tree.bj, org_tree.bj_cy, org_tree.sh]
    ids: list[int] = []
    for op in ops:
        kind = op[0]
        if kind == "insert":
            _, org_i, days_ago, b, repeat = op
            case = make_case(orgs[org_i], today - timedelta(days=days_ago), b=b, is_repeat=repeat)
            ids.append(case.pk)
            complaints_changed([case.pk])
            continue
        if not ids:
            continue
        pk = ids[op[1] % len(ids)]
        qs = Complaint.objects.filter(pk=pk)
        case = qs.get()
        if kind == "move_org":
            qs.update(responsible_org=orgs[op[2]])
        elif kind == "recode":
            qs.update(code_b=code(op[2]))
        elif kind == "redate":
            qs.update(received_at=at(today - timedelta(days=op[2]), 23))
        elif kind == "decide":
            qs.update(decided_at=case.received_at + timedelta(days=op[2]), result="upheld")
        elif kind == "respond":
            qs.update(first_response_at=case.received_at + timedelta(hours=op[2]))
        elif kind == "merge":
            qs.update(status="merged")
        elif kind == "redress":
            qs.update(redress_amount=Decimal("88.50"))
        complaints_changed([pk])
    assert rollup_counts() == raw_counts()
    assert monthly_counts() == raw_monthly()
    # a full rebuild produces exactly the same tables
    before = sorted(DailyRollup.objects.values_list("day", "org_id", "code_a", "code_b", "code_c", "channel", "total"))
    before_m = sorted(MonthlyRollup.objects.values_list("month", "org_id", "code_b", "code_c", "total", "repeat"))
    rollup_rebuild()
    after = sorted(DailyRollup.objects.values_list("day", "org_id", "code_a", "code_b", "code_c", "channel", "total"))
    assert before == after
    assert (
        sorted(MonthlyRollup.objects.values_list("month", "org_id", "code_b", "code_c", "total", "repeat")) == before_m
    )


def test_moving_a_case_to_another_branch_empties_its_old_bucket(org_tree, today):
    case = make_case(org_tree.bj, today)
    complaints_changed([case.pk])
    assert DailyRollup.objects.get(org=org_tree.bj).total == 1
    Complaint.objects.filter(pk=case.pk).update(responsible_org=org_tree.sh)
    complaints_changed([case.pk])
    assert not DailyRollup.objects.filter(org=org_tree.bj).exists()
    assert DailyRollup.objects.get(org=org_tree.sh).total == 1


def test_rollup_rebuild_command_is_idempotent_and_drops_stale_rows(org_tree, today):
    for _ in range(3):
        make_case(org_tree.bj, today - timedelta(days=1))
    DailyRollup.objects.create(
        day=today - timedelta(days=400), org=org_tree.sh, code_a="A01", code_b="B01", code_c="C01", channel="x", total=9
    )
    MonthlyRollup.objects.create(
        month=(today - timedelta(days=400)).replace(day=1), org=org_tree.sh, code_b="B01", code_c="C01", total=9
    )
    call_command("rollup_rebuild")
    call_command("rollup_rebuild")
    assert list(DailyRollup.objects.values_list("org_id", "total")) == [(org_tree.bj.pk, 3)]
    assert list(MonthlyRollup.objects.values_list("month", "org_id", "total")) == [
        ((today - timedelta(days=1)).replace(day=1), org_tree.bj.pk, 3)
    ]


def test_told_on_time_counts_what_the_decision_clock_says(org_tree, today):
    """The rollup counts workflow.timeliness's answer: receipt day not counted, day 15 ends at midnight."""
    day = today - timedelta(days=40)  # 2026-10-28: day 15 is Thursday 12 November, a working day
    on_time = make_case(org_tree.bj, day, decided_at=at(day), responded_at=at(day + timedelta(days=15), 23))
    late = make_case(org_tree.bj, day, decided_at=at(day), responded_at=at(day + timedelta(days=16), 0))
    unanswered = make_case(org_tree.bj, day)  # past its deadline, still open: late
    rollup_rebuild()
    row = DailyRollup.objects.get()
    assert (row.total, row.decided, row.decided_on_time, row.decided_late) == (3, 2, 1, 2)
    assert (on_time.decision_timely, late.decision_timely, unanswered.decision_timely) == (True, False, False)


@pytest.fixture
def real_commit(monkeypatch, settings):
    """Undo the package's eager shortcuts: the flush is queued after the commit, debounced."""
    from analytics import hooks
    from voc.celery import app

    monkeypatch.setattr(hooks, "on_commit", transaction.on_commit)
    eager, app.conf.task_always_eager = app.conf.task_always_eager, False
    settings.ANALYTICS_FLUSH_DEBOUNCE_S = 2.0
    cache.delete(hooks.FLUSH_KEY)
    sent: list[dict] = []
    monkeypatch.setattr(tasks.rollup_flush, "apply_async", lambda *a, **kw: sent.append(kw))
    yield sent
    cache.delete(hooks.FLUSH_KEY)
    app.conf.task_always_eager = eager


def test_hook_writes_the_outbox_in_the_callers_transaction_and_queues_one_flush(
    org_tree, today, real_commit, django_capture_on_commit_callbacks
):
    """The caller's request only records the change; the rollup changes when the flush runs."""
    first, second = make_case(org_tree.bj, today), make_case(org_tree.sh, today)
    with django_capture_on_commit_callbacks(execute=True):
        complaints_changed([second.pk, first.pk, second.pk])
        assert real_commit == []  # nothing is sent before the commit
        complaints_changed([first.pk])  # the same case again: still one row
    assert sorted(RollupPending.objects.values_list("complaint_id", flat=True)) == sorted([first.pk, second.pk])
    assert real_commit == [{"countdown": 2.0}]  # two commits' worth of changes, one message
    with django_capture_on_commit_callbacks(execute=True):
        complaints_changed([first.pk])
    assert len(real_commit) == 1  # coalesced: a flush is already on its way
    assert not DailyRollup.objects.exists() and not MonthlyRollup.objects.exists()

    tasks.rollup_flush()  # what the worker runs
    assert sorted(DailyRollup.objects.values_list("org_id", "total")) == sorted(
        [(org_tree.bj.pk, 1), (org_tree.sh.pk, 1)]
    )
    assert MonthlyRollup.objects.filter(month=today.replace(day=1)).count() == 2
    assert not RollupPending.objects.exists()
    assert tasks.rollup_flush() == 0  # a duplicate message finds nothing to do


def test_a_change_during_the_flush_stays_in_the_outbox(org_tree, today, real_commit, monkeypatch):
    from analytics import services

    case = make_case(org_tree.bj, today)
    complaints_changed([case.pk])
    real_refresh = services.rollup_refresh_for_complaints

    def refresh_while_the_case_changes_again(ids):
        n = real_refresh(ids)
        Complaint.objects.filter(pk=case.pk).update(responsible_org=org_tree.sh)
        complaints_changed([case.pk])  # another request, while the flush is running
        return n

    monkeypatch.setattr(services, "rollup_refresh_for_complaints", refresh_while_the_case_changes_again)
    services.rollup_flush_pending(max_batches=1)
    assert list(RollupPending.objects.values_list("complaint_id", flat=True)) == [case.pk]
    monkeypatch.setattr(services, "rollup_refresh_for_complaints", real_refresh)
    services.rollup_flush_pending()
    assert list(DailyRollup.objects.values_list("org_id", "total")) == [(org_tree.sh.pk, 1)]
    assert not RollupPending.objects.exists()


def test_a_broker_outage_loses_no_refresh(org_tree, today, real_commit, monkeypatch, caplog,
                                          django_capture_on_commit_callbacks):  # fmt: skip
    def broken(*a, **kw):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.rollup_flush, "apply_async", broken)
    cases = [make_case(org_tree.bj, today) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        complaints_changed([c.pk for c in cases])  # no exception reaches the caller
    assert "could not queue the analytics rollup flush" in caplog.text
    assert RollupPending.objects.count() == 3 and not DailyRollup.objects.exists()
    # the broker is back: beat's minute job flushes what was left
    from voc.celery import app

    assert django_settings.CELERY_BEAT_SCHEDULE["analytics-rollup-flush"]["schedule"] <= 60
    assert app.conf.beat_schedule["analytics-rollup-flush"]["task"] == "analytics.rollup_flush"
    tasks.rollup_flush()
    assert DailyRollup.objects.get().total == 3 and not RollupPending.objects.exists()


def test_bulk_changes_are_written_in_bounded_statements(org_tree, today, real_commit):
    from analytics import hooks

    complaints_changed(range(1, hooks.CHUNK * 2 + 2))
    assert RollupPending.objects.count() == hooks.CHUNK * 2 + 1
    tasks.rollup_flush()  # ids without a case (purged) recompute nothing and leave the outbox
    assert not RollupPending.objects.exists()


def test_analytics_tasks_run_on_their_own_queue():
    from voc.celery import app

    for name in (
        "analytics.rollup_flush",
        "analytics.rollup_refresh",
        "analytics.rollup_refresh_recent",
        "analytics.rising_issues_notify",
    ):
        assert app.amqp.router.route({}, name)["queue"].name == "analytics"
