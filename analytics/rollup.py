"""The daily rollup: how one (day, org) bucket is computed from the raw complaints.

Used by ``analytics.services`` (writes). Recomputing a whole bucket from the raw
rows, rather than adding deltas, keeps the rollup equal to the raw aggregation by
construction, whatever changed and in whatever order hooks arrive.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.db.models import Count, Exists, F, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from complaints.models import Complaint
from complaints.states import CaseState

from .models import FIRST_RESPONSE_BOUNDS_H


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day as aware datetimes."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def counted_complaints():
    """Cases the reports count: everything received except duplicates merged into another case."""
    return Complaint.objects.exclude(status=CaseState.MERGED)


def verification_condition():
    """Was verification (核实) requested for the case?

    Uses the workflow's VerificationRequest rows when that model exists; until then
    the only trace is a case currently in the "verification" state (an undercount:
    a case that went through verification and closed is not seen).
    """
    try:
        model = apps.get_model("workflow", "VerificationRequest")
    except LookupError:
        model = None
    if model is not None and any(f.name == "complaint" for f in model._meta.get_fields()):
        return Q(Exists(model.objects.filter(complaint=OuterRef("pk")))) | Q(status=CaseState.VERIFICATION)
    return Q(status=CaseState.VERIFICATION)


def bucket_aggregates(day: date, org_ids: list[int]) -> list[dict]:
    """Aggregated rollup rows for one day and the given orgs (grouped in the database)."""
    start, end = day_bounds(day)
    fr_counts = {
        f"fr_{h}h": Count(
            "id",
            filter=Q(first_response_at__isnull=False, first_response_at__lte=F("received_at") + timedelta(hours=h)),
        )
        for h in FIRST_RESPONSE_BOUNDS_H
    }
    qs = (
        counted_complaints()
        .filter(received_at__gte=start, received_at__lt=end, responsible_org_id__in=org_ids)
        .values(
            org_ref=F("responsible_org_id"),
            a=F("code_a__code"),
            b=F("code_b__code"),
            c=F("code_c__code"),
            ch=F("channel"),
        )
        .annotate(
            total=Count("id"),
            repeat=Count("id", filter=Q(is_repeat=True)),
            decided=Count("id", filter=Q(decided_at__isnull=False)),
            decided_on_time=Count("id", filter=Q(decision_timely=True)),
            decided_late=Count("id", filter=Q(decision_timely=False)),
            extended=Count("id", filter=Q(extension_level__gt=0)),
            verification=Count("id", filter=verification_condition()),
            with_result=Count("id", filter=~Q(result="")),
            upheld=Count("id", filter=Q(result__in=["upheld", "partly_upheld"])),
            redress_count=Count("id", filter=Q(redress_amount__gt=0)),
            redress_sum=Coalesce(Sum("redress_amount", filter=Q(redress_amount__gt=0)), Value(0, output_field=_dec())),
            fr_count=Count("id", filter=Q(first_response_at__isnull=False)),
            **fr_counts,
        )
        .order_by()
    )
    return list(qs)


def _dec():
    from django.db.models import DecimalField

    return DecimalField(max_digits=16, decimal_places=2)
