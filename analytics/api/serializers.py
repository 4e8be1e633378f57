"""Input and output serializers of the analytics API (same numbers as the pages)."""

from __future__ import annotations

from rest_framework import serializers

from voc.api_errors import ErrorSerializer  # noqa: F401 (the API's error shape, named here too)
from voc.api_fields import PlausibleDateField

from ..forms import AXIS_CHOICES, COMPARE_CHOICES, KIND_CHOICES, LEVEL_CHOICES, PRESET_CHOICES, parse_report
from ..models import ImprovementItem
from ..periods import MAX_DAYS

PERIOD_RULES = (
    "Besides each parameter's own type, the period must make sense as a whole (else a 400 says why): "
    "a custom period starts on or after 2000-01-01, ends on or after its start and spans at most "
    f"{MAX_DAYS} days (start defaults to 29 days before end, end to today); a week, month or "
    "quarter's anchor is on or after 2000-01-01; no period starts more than a year after today. "
    "404 for a role without analytics, or an org outside the caller's scope."
)


class ReportQuerySerializer(serializers.Serializer):
    """Query parameters shared by every report; validated by the same rules as the pages (PERIOD_RULES)."""

    preset = serializers.ChoiceField(
        choices=[p for p, _ in PRESET_CHOICES],
        required=False,
        help_text="A period relative to today, overriding kind/anchor/start/end: mtd (month to date), "
        "last_month, qtd (quarter to date), last_quarter, last30 (the default when no period is given), "
        "yoy (month to date compared with the same days last year). A running period is compared like for like.",
    )
    compare = serializers.ChoiceField(
        choices=[c for c, _ in COMPARE_CHOICES],
        required=False,
        help_text="previous (default): the period before; year: the same period a year before (同比)",
    )
    kind = serializers.ChoiceField(
        choices=[k for k, _ in KIND_CHOICES],
        required=False,
        help_text="custom (default: last 30 days), week, month, quarter",
    )
    anchor = PlausibleDateField(required=False, help_text="A date inside the week/month/quarter")
    start = PlausibleDateField(required=False, help_text="Start of a custom period (default: 29 days before end)")
    end = PlausibleDateField(required=False, help_text="End of a custom period (default: today)")
    org = serializers.CharField(required=False, allow_blank=True, help_text="Org code; its subtree (within your scope)")
    axis = serializers.ChoiceField(choices=[a for a, _ in AXIS_CHOICES], required=False)
    level = serializers.ChoiceField(choices=[level for level, _ in LEVEL_CHOICES], required=False)

    def validate(self, attrs):
        params, errors = parse_report({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in attrs.items()})
        if params is None:
            raise serializers.ValidationError({"non_field_errors": errors})
        attrs["params"] = params
        return attrs


class TrendQuerySerializer(ReportQuerySerializer):
    granularity = serializers.ChoiceField(choices=["week", "month"], required=False, default="week")
    by = serializers.ChoiceField(choices=["code", "org", "channel"], required=False, default="code")


class ImprovementQuerySerializer(serializers.Serializer):
    org = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        default="",
        help_text="Org code; its subtree (within your scope)",
    )
    status = serializers.ChoiceField(
        choices=ImprovementItem.Status.choices, required=False, allow_blank=True, default=""
    )


class PeriodSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    to_date = serializers.BooleanField(help_text="Still running (cut at today); compared like for like")


class TopRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(source="row.rank")
    key = serializers.CharField(source="row.key")
    name = serializers.CharField()
    count = serializers.IntegerField(source="row.count")
    share = serializers.FloatField(source="row.share", allow_null=True)
    previous = serializers.IntegerField(source="row.previous")
    change = serializers.IntegerField(source="row.change.absolute")
    change_percent = serializers.FloatField(source="row.change.percent", allow_null=True)
    is_new = serializers.BooleanField(source="row.change.is_new")
    previous_rank = serializers.IntegerField(source="row.previous_rank", allow_null=True)
    rank_change = serializers.IntegerField(source="row.rank_change", allow_null=True)
    repeat = serializers.IntegerField(source="row.repeat")
    repeat_rate = serializers.FloatField(source="row.repeat_rate", allow_null=True)
    rising_here = serializers.BooleanField()
    rising_in = serializers.ListField(child=serializers.CharField())


class TopResultSerializer(serializers.Serializer):
    scope = serializers.CharField()
    period = PeriodSerializer()
    previous = PeriodSerializer(help_text="The period compared with (see compare)")
    compare = serializers.ChoiceField(choices=["previous", "year"])
    total = serializers.IntegerField()
    previous_total = serializers.IntegerField()
    rows = TopRowSerializer(many=True)


class RisingRowSerializer(serializers.Serializer):
    """One rising series with its evidence (analytics.alerts: quasi-Poisson with a weekday
    exposure, history that exists, Benjamini-Hochberg over every series of the report)."""

    key = serializers.CharField()
    name = serializers.CharField()
    org_code = serializers.CharField(help_text="Branch code, or empty for the whole report scope")
    org_name = serializers.CharField()
    current = serializers.IntegerField(
        help_text="The count judged: the period's own, or for a lasting rise (span > 1) the sum over the window"
    )
    span = serializers.IntegerField(
        help_text="Periods judged together: 1 = this period alone; 2-4 = a lasting rise (week views), this "
        "period with the span-1 periods right before it"
    )
    period_count = serializers.IntegerField(help_text="This period's own count")
    recent = serializers.ListField(
        child=serializers.IntegerField(), help_text="Counts of the earlier periods in the window, oldest first"
    )
    recent_labels = serializers.ListField(child=serializers.CharField())
    expected = serializers.FloatField(help_text="Expected count for the period from its own history")
    lower = serializers.IntegerField(help_text="Lower end of the expected count's interval")
    upper = serializers.IntegerField(help_text="Upper end of the expected count's interval")
    ratio = serializers.FloatField(allow_null=True, help_text="current / expected; null when nothing is expected")
    p_value = serializers.FloatField()
    q_value = serializers.FloatField(help_text="Benjamini-Hochberg adjusted over every series of the report")
    dispersion = serializers.FloatField(help_text="Over-dispersion used (1 = Poisson)")
    since = serializers.DateField(allow_null=True, help_text="Start of the first period of the current rise")
    trend = serializers.BooleanField(help_text="A significant rising trend was kept in the expectation")
    baseline = serializers.ListField(child=serializers.IntegerField(), help_text="Usable baseline counts, oldest first")
    baseline_labels = serializers.ListField(child=serializers.CharField())
    excluded = serializers.ListField(child=serializers.CharField(), help_text="Baseline periods left out as outbreaks")
    baseline_mean = serializers.FloatField()
    baseline_std = serializers.FloatField()
    z = serializers.FloatField()


class NotJudgedSerializer(serializers.Serializer):
    org_code = serializers.CharField(help_text="Branch code, or empty for the whole report scope")
    key = serializers.CharField()
    name = serializers.CharField()


class RisingResultSerializer(serializers.Serializer):
    scope = serializers.CharField()
    period = PeriodSerializer()
    judged = serializers.IntegerField(help_text="Series judged (the Benjamini-Hochberg family)")
    series = serializers.IntegerField(help_text="Series seen: judged plus not enough history")
    baseline_periods = serializers.IntegerField(
        source="periods", help_text="Like-for-like periods judged against: 8, or 26 weeks for a week view"
    )
    q = serializers.FloatField(help_text="False-discovery rate the series were decided at: 0.1, or 0.2 for a week view")
    rows = RisingRowSerializer(many=True)
    not_judged = NotJudgedSerializer(
        many=True,
        help_text="Series with too little history to judge (历史不足): fewer than 4 baseline periods with data",
    )


class SeriesSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    values = serializers.ListField(child=serializers.IntegerField())


class TrendSerializer(serializers.Serializer):
    granularity = serializers.CharField()
    by = serializers.CharField()
    buckets = serializers.ListField(child=serializers.CharField())
    series = SeriesSerializer(many=True)


class HeatMapSerializer(serializers.Serializer):
    orgs = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    keys = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    cells = serializers.ListField(child=serializers.ListField(child=serializers.IntegerField()))
    max_value = serializers.IntegerField()


class PerformanceRowSerializer(serializers.Serializer):
    org_code = serializers.CharField()
    org_name = serializers.CharField()
    total = serializers.IntegerField()
    decided = serializers.IntegerField()
    timely_rate = serializers.FloatField(allow_null=True)
    median_first_response_h = serializers.FloatField(allow_null=True)
    overdue_open = serializers.IntegerField()
    extension_rate = serializers.FloatField(allow_null=True)
    verification_rate = serializers.FloatField(allow_null=True)
    upheld_rate = serializers.FloatField(allow_null=True)
    redress_count = serializers.IntegerField()
    redress_sum = serializers.DecimalField(max_digits=16, decimal_places=2)


class PerformanceSerializer(serializers.Serializer):
    rows = PerformanceRowSerializer(many=True)
    total = PerformanceRowSerializer()


class SeedKpiRowSerializer(serializers.Serializer):
    """One org and month of receipt (the scope total has no month), as the handling-performance tab."""

    org_code = serializers.CharField(help_text="Child org of the scope (branches at head office); the total: scope")
    org_name = serializers.CharField()
    month = serializers.DateField(allow_null=True, help_text="First day of the month of receipt; null for the total")
    cases = serializers.IntegerField(help_text="Cases received")
    responded = serializers.IntegerField(help_text="Cases with a first response")
    median_h = serializers.FloatField(
        allow_null=True, help_text="Median hours from logging to the first response; null when none responded"
    )
    p90_h = serializers.FloatField(allow_null=True, help_text="90th percentile of those hours (linear interpolation)")
    over_target = serializers.BooleanField(help_text="The 90th percentile is above the internal target")
    within_target = serializers.FloatField(
        allow_null=True, help_text="Percent (0-100) of responded cases answered within the target"
    )
    timely_known = serializers.IntegerField(help_text="Cases whose decision timeliness is known (window over)")
    timely = serializers.IntegerField(help_text="Of which told their decision on time (15 days, extensions, pauses)")
    timely_rate = serializers.FloatField(allow_null=True, help_text="Percent (0-100) told on time")


class SeedKpiSerializer(serializers.Serializer):
    scope = serializers.CharField()
    period = PeriodSerializer()
    target_h = serializers.FloatField(help_text="Internal first-response target in hours (setting)")
    rows = SeedKpiRowSerializer(many=True)
    total = SeedKpiRowSerializer(help_text="The whole scope over every month of the period")


class ImprovementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    owner_org = serializers.CharField(source="owner_org.code")
    status = serializers.CharField()
    source = serializers.CharField()
    codes = serializers.ListField(child=serializers.CharField())
    period_label = serializers.CharField()
    due_date = serializers.DateField()
    closed_at = serializers.DateTimeField(allow_null=True)
    case_count = serializers.IntegerField()
