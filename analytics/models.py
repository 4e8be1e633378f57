from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Cumulative first-response buckets (hours) kept in the rollup, so a median can be
# interpolated without touching raw rows (analytics.ranking.median_from_cumulative).
FIRST_RESPONSE_BOUNDS_H = (1, 2, 4, 8, 24, 48, 72)


class DailyRollup(models.Model):
    """Counts per received day x responsible org x leaf codes x intake channel.

    Derived data: maintained by ``analytics.services.rollup_refresh_*`` (each touched
    (day, org) bucket is recomputed from the raw complaints) and rebuilt by
    ``manage.py rollup_rebuild``. Report pages read this table, never raw rows.
    Merged cases (duplicates folded into another case) are not counted.
    """

    day = models.DateField()
    org = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    code_a = models.CharField(max_length=12)
    code_b = models.CharField(max_length=12)
    code_c = models.CharField(max_length=12)
    channel = models.CharField(max_length=20)

    total = models.PositiveIntegerField(default=0)
    repeat = models.PositiveIntegerField(default=0)
    decided = models.PositiveIntegerField(default=0)
    # Decision told on time / late, as workflow.timeliness judged it (Complaint.decision_timely).
    decided_on_time = models.PositiveIntegerField(default=0)
    decided_late = models.PositiveIntegerField(default=0)
    extended = models.PositiveIntegerField(default=0)
    verification = models.PositiveIntegerField(default=0)
    with_result = models.PositiveIntegerField(default=0)
    upheld = models.PositiveIntegerField(default=0)  # upheld or partly upheld
    redress_count = models.PositiveIntegerField(default=0)
    redress_sum = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    fr_count = models.PositiveIntegerField(default=0)
    fr_1h = models.PositiveIntegerField(default=0)
    fr_2h = models.PositiveIntegerField(default=0)
    fr_4h = models.PositiveIntegerField(default=0)
    fr_8h = models.PositiveIntegerField(default=0)
    fr_24h = models.PositiveIntegerField(default=0)
    fr_48h = models.PositiveIntegerField(default=0)
    fr_72h = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("每日汇总")
        verbose_name_plural = _("每日汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "org", "code_a", "code_b", "code_c", "channel"], name="rollup_bucket_unique"
            )
        ]
        indexes = [
            # Covering the reads by day range (the running week's cut days, the channel panel):
            # every column they group or sum is in the index, so PostgreSQL answers them from it
            # (index-only scan) instead of visiting the wide rows (analytics migration 0007).
            models.Index(
                fields=["day", "org", "code_b", "code_c", "code_a", "total", "repeat"], name="rollup_day_org_cover"
            ),
            models.Index(fields=["org", "day"], name="rollup_org_day"),
            models.Index(fields=["code_b", "day"], name="rollup_codeb_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.org_id} {self.code_a}-{self.code_b}-{self.code_c} {self.channel}: {self.total}"


class CoarseRollup(models.Model):
    """A coarse tier: counts per time bucket (``BUCKET``: the date field subclasses add) x
    responsible org x B leaf x C leaf.

    Summed from ``DailyRollup`` (never from raw rows) by the daily tier's refresh path, so the
    tiers always agree. Channel and the A axis are not kept: reports grouped by them read the
    daily table.
    """

    BUCKET = ""

    org = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    code_b = models.CharField(max_length=12)
    code_c = models.CharField(max_length=12)
    total = models.PositiveIntegerField(default=0)
    repeat = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


def _bucket_unique(bucket: str) -> models.UniqueConstraint:
    # Also the index for report reads: bucket range first, then the org set.
    return models.UniqueConstraint(fields=[bucket, "org", "code_b", "code_c"], name=f"rollup_{bucket}_bucket_unique")


class MonthlyRollup(CoarseRollup):
    """The month tier. Reports read whole months from here and only the edge days of a period
    from the daily table; the daily table barely compresses at volume (a day x org x A x B x C x
    channel key is nearly one row per case), this one is ~60x smaller."""

    BUCKET = "month"
    month = models.DateField()  # first day of the month

    class Meta:
        verbose_name = _("每月汇总")
        verbose_name_plural = _("每月汇总")
        constraints = [_bucket_unique("month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.org_id} {self.code_b}-{self.code_c}: {self.total}"


class WeeklyRollup(CoarseRollup):
    """The week tier: ISO weeks (Monday to Sunday). A change to a case's day, org or codes
    recomputes the week it left and the week it is in; a purge rebuilds its days and their weeks.
    The rising-issue model of a week view reads its 27 whole weeks from here (27 rows per series
    instead of 189 daily ones), and a week cut at most three days before its end as its whole
    week less those days; other cut weeks and reports grouped by channel or the A axis read the
    daily table.
    """

    BUCKET = "week"
    week = models.DateField()  # the Monday

    class Meta:
        verbose_name = _("每周汇总")
        verbose_name_plural = _("每周汇总")
        constraints = [_bucket_unique("week")]

    def __str__(self) -> str:
        return f"{self.week:%G-W%V} {self.org_id} {self.code_b}-{self.code_c}: {self.total}"


class ImprovementItem(models.Model):
    """A remediation (整改) item opened from a TOP or rising issue."""

    class Status(models.TextChoices):
        OPEN = "open", _("待整改")
        IN_PROGRESS = "in_progress", _("整改中")
        CLOSED = "closed", _("已整改")

    class Source(models.TextChoices):
        TOP = "top", _("TOP问题")
        RISING = "rising", _("上升问题")
        MANUAL = "manual", _("手工")

    title = models.CharField(_("整改事项"), max_length=200)
    description = models.TextField(_("问题与措施"), blank=True, max_length=4000)
    owner_org = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("责任机构"), on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField(_("整改期限"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    codes = models.JSONField(_("分类代码"), default=list, blank=True)
    period_label = models.CharField(_("统计周期"), max_length=40, blank=True)
    cases = models.ManyToManyField("complaints.Complaint", verbose_name=_("关联投诉"), blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(_("整改完成时间"), null=True, blank=True)
    closing_note = models.TextField(_("整改结果"), blank=True, max_length=4000)

    class Meta:
        verbose_name = _("整改事项")
        verbose_name_plural = _("整改事项")
        ordering = ["status", "due_date", "-id"]
        indexes = [models.Index(fields=["owner_org", "status"], name="improvement_org_status")]

    def __str__(self) -> str:
        return self.title


class RollupMember(models.Model):
    """Which (day, org) bucket each case was last counted in, so that a case moved
    to another org (or re-dated) also refreshes the bucket it left."""

    complaint = models.OneToOneField(
        "complaints.Complaint", primary_key=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    day = models.DateField()
    org = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+", db_constraint=False)

    class Meta:
        indexes = [models.Index(fields=["day"], name="rollup_member_day")]

    def __str__(self) -> str:
        return f"{self.complaint_id} -> {self.day} {self.org_id}"


class RollupPending(models.Model):
    """Outbox of complaints whose rollup buckets must be recomputed.

    Written in the same transaction as the change (``analytics.hooks.complaints_changed``), so a
    change is never lost when the broker is down; one row per complaint however often it changes
    (coalesced); removed by the flush task once its buckets are recomputed."""

    complaint_id = models.BigIntegerField(primary_key=True)  # no FK: a purged case still leaves its bucket
    queued_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.complaint_id} queued {self.queued_at:%Y-%m-%d %H:%M:%S}"


class HotTermCount(models.Model):
    """Hot topics across calls (issue 16): in how many calls of one ISO week, one org and one
    business code a term of the redacted transcripts was said (``analytics.hot_terms.terms``:
    masks and numbers never become terms). Kept in step by ``analytics.hot_counts`` when a
    transcript is stored or a call moves; ``manage.py hot_terms_rebuild`` recounts from the text."""

    week = models.DateField()  # Monday of the ISO week of the call (local date)
    org_id = models.BigIntegerField()  # the call's org: its case's responsible org, else the uploader's
    code_id = models.BigIntegerField(default=0)  # the linked case's B code (ClassificationCode pk); 0 = none
    term = models.CharField(max_length=80)
    calls = models.IntegerField()  # signed: a call taken out is a -1 upsert (a CHECK would refuse it)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["week", "org_id", "code_id", "term"], name="hot_term_count_key")]

    def __str__(self) -> str:
        return f"{self.week} {self.org_id}/{self.code_id} {self.term}: {self.calls}"


class HotTermCall(models.Model):
    """Which (week, org, code) bucket each transcribed call was counted in, and from which stored
    transcript (its first segment's id), so a moved, re-transcribed or deleted call is taken out of
    the bucket it was counted in. The number of rows per bucket is the week's call count."""

    recording_id = models.BigIntegerField(primary_key=True)  # no FK: a deleted call still leaves its bucket
    week = models.DateField()
    org_id = models.BigIntegerField()
    code_id = models.BigIntegerField(default=0)
    transcript_key = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["week", "org_id", "code_id"], name="hot_term_call_bucket")]

    def __str__(self) -> str:
        return f"{self.recording_id} -> {self.week} {self.org_id}/{self.code_id}"
