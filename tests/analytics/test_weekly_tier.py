"""The weekly rollup tier: always the sum of the daily tier's days, whatever changes arrive, and
the rising model of a week view reads its whole weeks from it with the same result."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from analytics import selectors, services
from analytics.dimensions import dimension
from analytics.hooks import complaints_changed
from analytics.models import DailyRollup, MonthlyRollup, WeeklyRollup
from analytics.periods import Period, period_containing, period_to_date, preceding_periods
from analytics.rollup import local_day
from analytics.selectors.base import monthly_rollups_in, range_buckets, tiers, week_cut, weekly_rollups_in
from analytics.selectors.rising import _rising
from analytics.services import rollup_rebuild
from complaints.models import Complaint
from tests.analytics.conftest import at, make_case
from tests.complaints.factories import code
from tests.conftest import CALENDAR_EDGES

B_CODES = ["B030202", "B030101", "B0101", "B0401"]
C_CODES = ["C03", "C0101", "C0201"]


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_rows() -> Counter:
    out: Counter = Counter()
    for r in WeeklyRollup.objects.all():
        assert r.week.weekday() == 0
        out[(r.week, r.org_id, r.code_b, r.code_c, "total")] += r.total
        out[(r.week, r.org_id, r.code_b, r.code_c, "repeat")] += r.repeat
    return +out


def daily_sums_by_week() -> Counter:
    """The daily tier's rows summed by (Monday, org, B leaf, C leaf)."""
    out: Counter = Counter()
    for r in DailyRollup.objects.values("day", "org_id", "code_b", "code_c").annotate(t=Sum("total"), r=Sum("repeat")):
        key = (monday(r["day"]), r["org_id"], r["code_b"], r["code_c"])
        out[key + ("total",)] += r["t"]
        out[key + ("repeat",)] += r["r"]
    return +out


def raw_by_week() -> Counter:
    """Independent expectation from the raw cases (merged duplicates not counted)."""
    out: Counter = Counter()
    for c in Complaint.objects.exclude(status="merged").select_related("code_b", "code_c"):
        key = (monday(local_day(c.received_at)), c.responsible_org_id, c.code_b.code, c.code_c.code)
        out[key + ("total",)] += 1
        out[key + ("repeat",)] += int(c.is_repeat)
    return +out


def purge(pks: list[int]) -> None:
    """What retention's purge does to the rollup: the cases go, then their days are rebuilt."""
    days = {local_day(t) for t in Complaint.objects.filter(pk__in=pks).values_list("received_at", flat=True)}
    Complaint.objects.filter(pk__in=pks).delete()
    for day in sorted(days):
        rollup_rebuild(start=day, end=day)


@pytest.mark.django_db
@pytest.mark.parametrize("today", [CALENDAR_EDGES[0], CALENDAR_EDGES[1]], indirect=True)  # 7 Dec; Sun 3 Jan 2027
@pytest.mark.parametrize("seed", [20261207, 11])
def test_weekly_tier_equals_the_daily_sums_over_random_changes(org_tree, today, seed):
    rng = random.Random(seed)
    orgs = [org_tree.bj, org_tree.bj_cy, org_tree.sh]
    ids: list[int] = []
    kinds = ["insert"] * 4 + ["move_org", "recode", "redate", "redate", "merge", "batch", "purge"]
    for step in range(70):
        kind = rng.choice(kinds) if ids else "insert"
        if kind == "insert":
            day = today - timedelta(days=rng.randrange(0, 75))  # crosses weeks, months (and the year on 3 Jan)
            case = make_case(
                rng.choice(orgs), day, b=rng.choice(B_CODES), c=rng.choice(C_CODES), is_repeat=rng.random() < 0.3
            )
            ids.append(case.pk)
            complaints_changed([case.pk])
        elif kind == "purge":
            gone = rng.sample(ids, k=min(len(ids), rng.randint(1, 3)))
            purge(gone)
            ids = [pk for pk in ids if pk not in gone]
        else:
            chosen = rng.sample(ids, k=min(len(ids), 5 if kind == "batch" else 1))
            qs = Complaint.objects.filter(pk__in=chosen)
            if kind == "move_org":
                qs.update(responsible_org=rng.choice(orgs))
            elif kind == "recode":
                qs.update(code_b=code(rng.choice(B_CODES)), code_c=code(rng.choice(C_CODES)))
            elif kind == "redate":  # a few days either way: often into the next or previous week
                qs.update(received_at=at(today - timedelta(days=rng.randrange(0, 75)), rng.choice([0, 10, 23])))
            elif kind == "merge":
                qs.update(status="merged")
            else:  # batch: several cases re-dated, moved and re-coded in one refresh
                for pk in chosen:
                    Complaint.objects.filter(pk=pk).update(
                        received_at=at(today - timedelta(days=rng.randrange(0, 75))),
                        responsible_org=rng.choice(orgs),
                        code_c=code(rng.choice(C_CODES)),
                    )
            complaints_changed(chosen)
        if step % 10 == 9:
            assert weekly_rows() == daily_sums_by_week(), f"step {step} ({kind})"
    expected = raw_by_week()
    assert len({k[0] for k in expected}) >= 5  # the cases are spread over many weeks
    assert weekly_rows() == daily_sums_by_week() == expected
    # a full rebuild gives the same weekly table
    before = sorted(WeeklyRollup.objects.values_list("week", "org_id", "code_b", "code_c", "total", "repeat"))
    rollup_rebuild()
    assert sorted(WeeklyRollup.objects.values_list("week", "org_id", "code_b", "code_c", "total", "repeat")) == before


@pytest.mark.django_db
def test_rebuild_drops_weeks_without_cases_and_fills_the_tier(org_tree, today):
    make_case(org_tree.bj, today - timedelta(days=1))
    make_case(org_tree.bj, today - timedelta(days=9), is_repeat=True)
    WeeklyRollup.objects.create(week=monday(today - timedelta(days=400)), org=org_tree.sh, code_b="B01", code_c="C01")
    rollup_rebuild()
    assert sorted(WeeklyRollup.objects.values_list("week", "org_id", "total", "repeat")) == sorted(
        [
            (monday(today - timedelta(days=1)), org_tree.bj.pk, 1, 0),
            (monday(today - timedelta(days=9)), org_tree.bj.pk, 1, 1),
        ]
    )
    Complaint.objects.all().delete()
    rollup_rebuild()
    assert not WeeklyRollup.objects.exists()


@pytest.fixture
def weeks_of_cases(org_tree, today):
    """Ten weeks of cases at BJ, BJ-CY and SH on three codes, 0-2 a day each; BJ's B030202
    triples from the start of last week (a rise the week views must find). Returns last week."""
    rng = random.Random(7)
    last_week = preceding_periods(period_containing("week", today), 1)[0]
    for d in range(10 * 7):
        day = today - timedelta(days=d)
        for org, b, c in ((org_tree.bj, "B030202", "C03"), (org_tree.bj_cy, "B0101", "C0101"),
                          (org_tree.sh, "B0401", "C0201")):  # fmt: skip
            n = rng.randint(0, 2) + (1 if rng.random() < 0.2 else 0)
            if org == org_tree.bj and day >= last_week.start:
                n = 3 * max(n, 1)
            for _ in range(n):
                make_case(org, day, b=b, c=c, is_repeat=rng.random() < 0.2)
    rollup_rebuild()
    return last_week


@pytest.mark.django_db
@pytest.mark.parametrize("today", CALENDAR_EDGES, indirect=True)
def test_week_views_judge_the_same_from_the_weekly_tier_as_from_the_days(weeks_of_cases, users, today):
    last_week = weeks_of_cases
    week = period_containing("week", today)
    for who in ("ho_officer", "bj_manager"):
        scope = selectors.resolve_scope(users[who], "")
        daily, monthly, weekly = selectors.rollups_in(scope), monthly_rollups_in(scope), weekly_rollups_in(scope)
        cut_weeks = [
            Period("week", last_week.start, last_week.start + timedelta(days=d), to_date=True) for d in range(6)
        ]
        for period in (last_week, period_to_date(week, today), week, preceding_periods(week, 5)[0], *cut_weeks):
            for dim in (dimension("B", 3), dimension("BC", 3), dimension("B", 1)):
                options = {"by_branch": who == "ho_officer"}
                new = _rising(daily, monthly, period, dim, weekly=weekly, **options)
                assert new == _rising(daily, monthly, period, dim, **options), (who, period, dim)
        flagged = _rising(daily, monthly, last_week, dimension("B", 3), weekly=weekly, by_branch=True)
        assert ("", "B030202") in {(r.org_code, r.key) for r in flagged.rows}  # the rise is found from the weekly tier


@pytest.mark.django_db
def test_a_whole_week_view_reads_its_weeks_from_the_weekly_tier(weeks_of_cases, users):
    scope = selectors.resolve_scope(users["ho_officer"], "")
    with CaptureQueriesContext(connection) as ctx:
        result = selectors.rising_result(scope, weeks_of_cases, dimension("B", 3), by_branch=True)
    assert result.periods == 26 and result.judged > 0
    grouped = [q["sql"] for q in ctx.captured_queries if '"analytics_weeklyrollup"' in q["sql"]]
    assert len(grouped) == 1
    # no day of the 27 weeks is read from the daily table (the weekday shape reads 8 weeks before them)
    earliest = (weeks_of_cases.start - timedelta(days=26 * 7)).isoformat()
    assert not [q for q in ctx.captured_queries if '"analytics_dailyrollup"' in q["sql"] and earliest in q["sql"]]


def test_a_week_cut_short_is_its_week_less_its_last_days_when_they_are_fewer():
    monday = date(2026, 11, 30)  # a week across a month end

    def cut(days: int) -> Period:
        return Period("week", monday, monday + timedelta(days=days - 1), to_date=True)

    assert [week_cut(cut(d)) for d in range(1, 5)] == [None, None, None, (date(2026, 12, 4), date(2026, 12, 6))]
    assert week_cut(cut(6)) == (date(2026, 12, 6), date(2026, 12, 6))
    assert week_cut(cut(7)) is None  # a whole week is read whole
    assert week_cut(Period("custom", monday + timedelta(days=1), monday + timedelta(days=5))) is None
    # 26 Thursday-cut weeks and this one: each from the weekly tier, less Friday-Sunday from the days
    periods = [*preceding_periods(cut(4), 26), cut(4)]
    days, weeks = DailyRollup.objects.all(), WeeklyRollup.objects.all()
    split = {(t.time_field, t.sign): t.ranges for t in tiers(days, MonthlyRollup.objects.all(), periods, weekly=weeks)}
    assert set(split) == {("week", 1), ("day", -1)}
    assert split[("week", 1)] == tuple((p.start, p.start, i) for i, p in enumerate(periods))
    assert split[("day", -1)] == tuple(
        (p.start + timedelta(days=4), p.start + timedelta(days=6), i) for i, p in enumerate(periods)
    )
    # Monday to Wednesday: the three days themselves are fewer than the four after them
    assert {t.time_field for t in tiers(days, None, [cut(3)], weekly=weeks)} == {"day"}


@pytest.mark.django_db
def test_range_buckets_put_each_row_in_its_period(org_tree):
    """Adjacent, gapped and single-day ranges: every day of a range counts to its period only."""
    start = date(2026, 11, 25)
    for d in range(14):
        DailyRollup.objects.create(
            day=start + timedelta(days=d), org=org_tree.bj, code_a="A01", code_b="B01", code_c="C01", channel="phone",
            total=2**d,
        )  # fmt: skip
    ranges = [  # (first, last, period): Nov 26-27 -> 0, Nov 28-Dec 1 -> 1 (adjacent), Dec 4 -> 2 (after a gap)
        (date(2026, 11, 26), date(2026, 11, 27), 0),
        (date(2026, 11, 28), date(2026, 12, 1), 1),
        (date(2026, 12, 4), date(2026, 12, 4), 2),
    ]
    bucket, index = range_buckets("day", ranges)
    sums = [0, 0, 0]
    for b, n in DailyRollup.objects.values_list(bucket).annotate(n=Sum("total")).order_by():
        if b in index:
            sums[index[b]] += n
    assert sums == [2**1 + 2**2, 2**3 + 2**4 + 2**5 + 2**6, 2**9]


# --- PostgreSQL: a week spanning two months is summed by one refresh at a time ----------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks need PostgreSQL")
def test_two_refreshes_in_one_week_across_a_month_end_both_count(org_tree, pin_clock, monkeypatch):
    """Cases on Monday 30 November and Tuesday 1 December (one ISO week, two months: the month
    locks do not order them) refreshed at the same moment: the week holds both."""
    pin_clock(date(2026, 12, 7))
    first = make_case(org_tree.bj, date(2026, 11, 30))
    second = make_case(org_tree.bj, date(2026, 12, 1))
    for model in (DailyRollup, WeeklyRollup, MonthlyRollup):  # each refresh below writes its own rows
        model.objects.all().delete()
    real = services._recompute_week
    started = threading.Event()

    def slow_first(week, org_ids):  # the first refresh holds its transaction open after summing
        n = real(week, org_ids)
        if threading.current_thread().name == "first":
            started.set()
            time.sleep(1.0)
        return n

    monkeypatch.setattr(services, "_recompute_week", slow_first)
    errors: list[BaseException] = []

    def run(pk):
        from django.db import connection as conn

        try:
            if threading.current_thread().name == "second":
                assert started.wait(10)
            services.rollup_refresh_for_complaints([pk])
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=run, args=(c.pk,), name=n) for n, c in (("first", first), ("second", second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert list(WeeklyRollup.objects.values_list("week", "org_id", "total")) == [
        (date(2026, 11, 30), org_tree.bj.pk, 2)
    ]
    assert MonthlyRollup.objects.count() == 2
