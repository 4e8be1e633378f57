"""Writes of the analytics app: the rollup, remediation items and rising-issue notices."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from accounts.models import AuditAction, Organisation, User
from accounts.selectors import can_write, org_visible_to, users_with_role_at
from accounts.services import audit_record, notification_send
from complaints.models import Complaint
from complaints.pii import mask_text

from .models import CoarseRollup, DailyRollup, ImprovementItem, MonthlyRollup, RollupMember, WeeklyRollup
from .rollup import bucket_aggregates, local_day
from .selectors import hot
from .selectors.base import GENERATION_KEY as CACHE_GENERATION_KEY

log = logging.getLogger(__name__)


def _bump_generation() -> None:
    """Report caches key on this number: a rollup change makes them stale (served at most ANALYTICS_STALE_SECONDS more)."""
    try:
        cache.incr(CACHE_GENERATION_KEY)
    except ValueError:
        cache.set(CACHE_GENERATION_KEY, 1, None)


def _month_of(day: date) -> date:
    return day.replace(day=1)


def _month_end(day: date) -> date:
    """Last day of the month ``day`` is in."""
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _week_of(day: date) -> date:
    """The Monday of the ISO week ``day`` is in."""
    return day - timedelta(days=day.weekday())


def _lock_month(month: date) -> None:
    # Two refreshes touching the same month would both delete and insert its daily and
    # monthly rows (and the monthly sum must see the other's committed daily rows);
    # serialise them per month. Callers take months in ascending order (no deadlock);
    # the lock is re-entrant within a transaction. SQLite already serialises writers.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [7007, month.toordinal()])


def _lock_week(week: date) -> None:
    # A week can span two months, so the month locks do not cover it: two refreshes writing
    # days of the same week in different months would each sum the week without the other's
    # uncommitted days. Week locks are taken after every month lock, in ascending order
    # (no transaction asks for a month lock while holding a week lock: no deadlock).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [7008, week.toordinal()])


def _replace(existing, rows: list, key_fields: tuple[str, ...], value_fields: tuple[str, ...]) -> int:
    """Make the rows of ``existing`` (a queryset) equal ``rows`` (fresh, unsaved instances).

    Only rows that differ are deleted and inserted: a one-case change rewrites one or two
    rows of a bucket instead of all of them (the writes, not the aggregation, were most of
    the refresh's cost). The result is the same as delete-all-then-insert.
    """
    fields = ("pk", *key_fields, *value_fields)
    width = len(key_fields)
    have = {tuple(r[1 : 1 + width]): (r[0], tuple(r[1 + width :])) for r in existing.values_list(*fields)}
    stale: list[int] = []
    fresh = []
    for row in rows:
        key = tuple(getattr(row, f) for f in key_fields)
        old = have.pop(key, None)
        if old is not None and old[1] == tuple(getattr(row, f) for f in value_fields):
            continue
        if old is not None:
            stale.append(old[0])
        fresh.append(row)
    stale += [pk for pk, _ in have.values()]  # buckets that are now empty
    if stale:
        existing.model.objects.filter(pk__in=stale).delete()
    existing.model.objects.bulk_create(fresh, batch_size=500)
    return len(rows)


DAILY_KEY = ("day", "org_id", "code_a", "code_b", "code_c", "channel")
DAILY_VALUES = tuple(
    f.attname for f in DailyRollup._meta.concrete_fields if f.attname not in DAILY_KEY and not f.primary_key
)
COARSE_KEY = ("org_id", "code_b", "code_c")
COARSE_VALUES = ("total", "repeat")


def _recompute(day: date, org_ids: list[int]) -> int:
    """Make the daily rows of (day, each org) equal a fresh aggregation of the raw rows."""
    _lock_month(_month_of(day))
    rows = [
        DailyRollup(
            day=day,
            org_id=r.pop("org_ref"),
            code_a=r.pop("a"),
            code_b=r.pop("b"),
            code_c=r.pop("c"),
            channel=r.pop("ch"),
            **r,
        )
        for r in bucket_aggregates(day, org_ids)
    ]
    return _replace(DailyRollup.objects.filter(day=day, org_id__in=org_ids), rows, DAILY_KEY, DAILY_VALUES)


def _sum_days_into(model: type[CoarseRollup], first: date, last: date, org_ids: list[int]) -> int:
    """Make the rows of one bucket of a coarse tier (``model.BUCKET`` = ``first``) for each org
    equal the sum of their daily rows from ``first`` to ``last``. The caller holds the lock."""
    bucket = model.BUCKET
    rows = [
        model(
            **{bucket: first}, org_id=r["org_id"], code_b=r["code_b"], code_c=r["code_c"], total=r["t"], repeat=r["r"]
        )
        for r in DailyRollup.objects.filter(day__range=(first, last), org_id__in=org_ids)
        .values(*COARSE_KEY)
        .annotate(t=Sum("total"), r=Sum("repeat"))
        .order_by()
    ]
    existing = model.objects.filter(**{bucket: first, "org_id__in": org_ids})
    return _replace(existing, rows, (bucket, *COARSE_KEY), COARSE_VALUES)


def _recompute_month(month: date, org_ids: list[int]) -> int:
    """Make the monthly rows of (month, each org) equal the sum of their daily rows."""
    _lock_month(month)
    return _sum_days_into(MonthlyRollup, month, _month_end(month), org_ids)


def _recompute_week(week: date, org_ids: list[int]) -> int:
    """Make the weekly rows of (week, each org) equal the sum of their daily rows."""
    _lock_week(week)
    return _sum_days_into(WeeklyRollup, week, week + timedelta(days=6), org_ids)


@transaction.atomic(durable=True)
def rollup_refresh_for_complaints(complaint_ids: Iterable[int]) -> int:
    """Recompute every (day, org) bucket these complaints are in now or were in before.

    The previous bucket comes from ``RollupMember`` (a case routed to another org, or
    whose received time was corrected, leaves its old bucket too). Returns how many
    buckets were recomputed.

    The monthly and weekly rows of every month and week touched are summed again from the
    daily rows (``_recompute_month``, ``_recompute_week``).

    A top-level action (durable): it takes the month locks of every bucket it recomputes (then
    the week locks), and they must be released at its own commit, not held until some caller's
    transaction ends (other refreshes wait on them). Its callers are the Celery task and
    ``rollup_flush_pending`` between batches; a service that changes complaints queues them
    (``complaints_changed``) instead of calling this inside its transaction.
    """
    ids = sorted({int(i) for i in complaint_ids})
    if not ids:
        return 0
    buckets: dict[date, set[int]] = defaultdict(set)
    for day, org_id in RollupMember.objects.filter(complaint_id__in=ids).values_list("day", "org_id"):
        buckets[day].add(org_id)
    members = []
    for pk, received_at, org_id in Complaint.objects.filter(pk__in=ids).values_list(
        "pk", "received_at", "responsible_org_id"
    ):
        day = local_day(received_at)
        buckets[day].add(org_id)
        members.append(RollupMember(complaint_id=pk, day=day, org_id=org_id))
    months: dict[date, set[int]] = defaultdict(set)
    weeks: dict[date, set[int]] = defaultdict(set)
    for day in sorted(buckets):  # ascending: month locks are taken in order
        _recompute(day, sorted(buckets[day]))
        months[_month_of(day)] |= buckets[day]
        weeks[_week_of(day)] |= buckets[day]
    for month in sorted(months):
        _recompute_month(month, sorted(months[month]))
    for week in sorted(weeks):  # after every month lock, ascending
        _recompute_week(week, sorted(weeks[week]))
    RollupMember.objects.filter(complaint_id__in=ids).delete()
    RollupMember.objects.bulk_create(members, batch_size=1000)
    transaction.on_commit(_bump_generation)
    return sum(len(v) for v in buckets.values())


def rollup_flush_pending(*, batch: int = 2000, max_batches: int = 50) -> int:
    """Recompute the rollup buckets of the complaints in the ``RollupPending`` outbox, oldest
    first, ``batch`` complaints per transaction; each (day, org) bucket once per batch however
    many of its cases changed. A complaint changed again while its batch ran keeps its row for
    the next flush. Idempotent (two flushes at once recompute the same buckets). Returns the
    number of buckets recomputed."""
    from .models import RollupPending

    total = 0
    for _batch in range(max_batches):
        rows = list(
            RollupPending.objects.order_by("queued_at", "complaint_id").values_list("complaint_id", "queued_at")[:batch]
        )
        if not rows:
            break
        ids = [pk for pk, _at in rows]
        total += rollup_refresh_for_complaints(ids)
        RollupPending.objects.filter(complaint_id__in=ids, queued_at__lte=max(at for _pk, at in rows)).delete()
    return total


def rollup_rebuild(*, start: date | None = None, end: date | None = None, stdout=None) -> int:
    """Rebuild the rollup from the raw complaints, one day per transaction (all days by default),
    and each month and each week touched from its daily rows.

    Idempotent; safe to run while the system is in use (each day is replaced atomically). Run it
    outside a transaction: each day, month and week commits with its own lock (inside one, the
    locks would pile up out of the refresh's order: months first, then weeks).
    """
    qs = Complaint.objects.order_by()
    full = start is None and end is None
    if start is None or end is None:
        first = qs.order_by("received_at").values_list("received_at", flat=True).first()
        last = qs.order_by("-received_at").values_list("received_at", flat=True).first()
        if first is None:
            DailyRollup.objects.all().delete()
            MonthlyRollup.objects.all().delete()
            WeeklyRollup.objects.all().delete()
            RollupMember.objects.all().delete()
            _bump_generation()
            return 0
        start = start or local_day(first)
        end = end or local_day(last)
    if end < start:
        raise ValidationError(_("结束日期早于开始日期"))
    if full:  # nothing outside the raw data's range may survive
        DailyRollup.objects.exclude(day__range=(start, end)).delete()
        MonthlyRollup.objects.exclude(month__range=(_month_of(start), _month_of(end))).delete()
        WeeklyRollup.objects.exclude(week__range=(_week_of(start), _week_of(end))).delete()
        RollupMember.objects.exclude(day__range=(start, end)).delete()
    org_ids = list(Organisation.objects.values_list("id", flat=True))
    written = 0
    day = start
    while day <= end:
        with transaction.atomic():
            written += _recompute(day, org_ids)
            _rebuild_members(day)
        if day == end or day == _month_end(day):  # the month's days are done: sum them
            with transaction.atomic():
                _recompute_month(_month_of(day), org_ids)
        if day == end or day.weekday() == 6:  # the week's days are done (earlier ones were there)
            with transaction.atomic():
                _recompute_week(_week_of(day), org_ids)
        day += timedelta(days=1)
        if stdout is not None and day.day == 1:
            stdout.write(f"  rollup up to {day - timedelta(days=1)}: {written} rows")
    _bump_generation()
    return written


def _rebuild_members(day: date) -> None:
    from .rollup import day_bounds

    start, end = day_bounds(day)
    RollupMember.objects.filter(day=day).delete()
    rows = Complaint.objects.filter(received_at__gte=start, received_at__lt=end).values_list("pk", "responsible_org_id")
    RollupMember.objects.filter(complaint_id__in=[pk for pk, _ in rows]).delete()
    RollupMember.objects.bulk_create(
        [RollupMember(complaint_id=pk, day=day, org_id=org_id) for pk, org_id in rows], batch_size=2000
    )


# --- Remediation (整改) ------------------------------------------------------

REMEDIATION_ROLES = (roles.HO_OFFICER, roles.HO_APPROVER, roles.BRANCH_MANAGER, roles.ADMIN)


def can_manage_improvements(user: User) -> bool:
    return can_write(user) and user.has_role(*REMEDIATION_ROLES)


@transaction.atomic(durable=True)
def improvement_create(
    *,
    actor: User,
    title: str,
    owner_org: Organisation,
    due_date: date,
    description: str = "",
    codes: list[str] | None = None,
    source: str = ImprovementItem.Source.MANUAL,
    period_label: str = "",
    case_ids: Iterable[int] = (),
) -> ImprovementItem:
    """Open a remediation item. The owner org and every linked case must be inside the actor's scope."""
    from accounts.selectors import scope_to_user

    if not can_manage_improvements(actor):
        raise ValidationError(_("无权创建整改事项"))
    if not org_visible_to(actor, owner_org):
        raise ValidationError({"owner_org": [_("责任机构不在您的权限范围内")]})
    if due_date < timezone.localdate():
        raise ValidationError({"due_date": [_("整改期限不能早于今天")]})
    item = ImprovementItem(
        # shown to every head-office and branch user of the board and exported: no customer numbers
        title=mask_text(title.strip()),
        description=mask_text(description),
        owner_org=owner_org,
        due_date=due_date,
        source=source,
        codes=list(codes or []),
        period_label=period_label,
        created_by=actor,
    )
    item.full_clean()
    item.save()
    wanted = list(case_ids)
    if wanted:
        visible = scope_to_user(Complaint.objects.filter(pk__in=wanted), actor).values_list("pk", flat=True)
        through = ImprovementItem.cases.through
        through.objects.bulk_create(
            [through(improvementitem_id=item.pk, complaint_id=pk) for pk in visible.iterator(chunk_size=2000)],
            batch_size=2000,
        )
    audit_record(actor=actor, action=AuditAction.ANALYTICS_IMPROVEMENT_CREATE, obj=item, codes=item.codes)
    return item


@transaction.atomic(durable=True)
def improvement_set_status(*, actor: User, item: ImprovementItem, status: str, note: str = "") -> ImprovementItem:
    """Move an item between open / in progress / closed. Closing needs a note saying what was fixed."""
    if not can_manage_improvements(actor) or not org_visible_to(actor, item.owner_org):
        raise ValidationError(_("无权修改该整改事项"))
    if status not in ImprovementItem.Status.values:
        raise ValidationError({"status": [_("未知状态：%(status)s") % {"status": repr(status)}]})
    item = ImprovementItem.objects.select_for_update().get(pk=item.pk)
    if status == ImprovementItem.Status.CLOSED:
        if not note.strip():
            raise ValidationError({"note": [_("关闭整改事项需填写整改结果")]})
        item.closed_at = timezone.now()
        item.closing_note = mask_text(note.strip())
    else:
        item.closed_at = None
    item.status = status
    item.save(update_fields=["status", "closed_at", "closing_note", "updated_at"])
    audit_record(actor=actor, action=AuditAction.ANALYTICS_IMPROVEMENT_STATUS, obj=item, status=status)
    return item


# --- Rising-issue notices ----------------------------------------------------


def rising_issues_notify(*, today: date | None = None) -> int:
    """Tell head office about issues rising in the last complete week (once per code+org+week).

    Idempotent through the notification dedupe key, so the weekly job may run again.
    """
    from django.urls import reverse

    from .periods import period_containing
    from .selectors.rising import rising_for_scope

    today = today or timezone.localdate()
    period = period_containing("week", today - timedelta(days=7))
    ho_orgs = list(Organisation.objects.filter(kind=Organisation.Kind.HEAD_OFFICE))
    recipients = list(users_with_role_at(roles.HO_OFFICER, ho_orgs)) + list(
        users_with_role_at(roles.HO_APPROVER, ho_orgs)
    )
    sent = 0
    orgs = {o.code: o for o in Organisation.objects.all()}
    for row in rising_for_scope(period=period, org_ids=None, by_branch=True):
        where = row.org_code or "ALL"
        # What the notice is about (analytics.notifications): the branch, or the whole bank as its
        # head office; the inbox shows it while the recipient may read that organisation's reports.
        about = orgs.get(row.org_code) if row.org_code else (ho_orgs[0] if ho_orgs else None)
        url = reverse("analytics:rising") + f"?kind=week&anchor={period.start.isoformat()}"
        sent += notification_send(
            recipients=recipients,
            kind="analytics_rising",
            title=f"上升问题 {row.code} {row.name} · {row.org_name or '全行'} · {period.label}",
            body=(
                (
                    f"持续上升：近 {row.span} 期合计 {row.current} 件（本期 {row.period_count} 件）"
                    if row.span > 1
                    else f"本期 {row.current} 件"
                )
                + f"，预期 {row.expected}（{row.lower}–{row.upper}），"
                f"比值 {row.ratio or '—'}，自 {row.since or period.start} 起，"
                f"对比有数据的前 {len(row.baseline)} 期，q={row.q_value:.2g}"
            ),
            url=url,
            target=about,
            dedupe_key=f"analytics:rising:{period.label}:{where}:{row.code}",
        )
    return sent


def hot_terms_refresh() -> int:
    """Recompute the stored hot-topic panels read in the last days (the hourly beat job), so the
    TOP page's panel is served from a stored result (``analytics.selectors.hot``); returns how many."""
    return hot.refresh_stored()
