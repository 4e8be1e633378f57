"""The cases behind a report row (drill-down and its export) and remediation items, scoped."""

from __future__ import annotations

from collections import Counter
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import ExtractQuarter, ExtractYear
from django.utils.translation import gettext

from accounts.selectors import scope_to_user
from complaints.models import Complaint

from ..dimensions import Dimension
from ..models import ImprovementItem
from ..periods import Period
from .base import Scope, code_filter, complaints_in, known_code


def drilldown_cases(scope: Scope, period: Period, dim: Dimension | None, key: str = "") -> QuerySet[Complaint]:
    """Counted cases in scope received in the period, under the row key (all cases when no key).

    Raises DimensionError for a malformed or unknown code.
    """
    from ..dimensions import DimensionError

    qs = complaints_in(scope, period)
    if dim is not None and key:
        parts = dim.parse_key(key)
        unknown = [c for c in parts.values() if not known_code(c)]
        if unknown:
            raise DimensionError(gettext("未知的分类代码：%(codes)s") % {"codes": ", ".join(unknown)})
        qs = qs.filter(**code_filter(dim, parts))
    return qs.order_by("-received_at", "-id")


def improvements_for(user, *, status: str = "", org_ids: frozenset[int] | None = None) -> QuerySet[ImprovementItem]:
    qs = scope_to_user(ImprovementItem.objects.select_related("owner_org", "created_by"), user, org_field="owner_org")
    if org_ids is not None:
        qs = qs.filter(owner_org_id__in=org_ids)
    if status:
        qs = qs.filter(status=status)
    return qs.annotate(case_count=Count("cases", distinct=True))


def improvement_for(user, pk: int) -> ImprovementItem:
    """One item in the user's scope, else 404."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(improvements_for(user), pk=pk)


def improvement_cases(user, item: ImprovementItem) -> QuerySet[Complaint]:
    return scope_to_user(item.cases.all(), user).select_related("code_b", "responsible_org").order_by("-received_at")


def fixed_per_quarter(user, org_ids: frozenset[int] | None = None) -> list[tuple[str, int]]:
    """Closed remediation items per quarter of closing ("problems fixed"), oldest first."""
    qs = improvements_for(user, status=ImprovementItem.Status.CLOSED, org_ids=org_ids).filter(closed_at__isnull=False)
    rows = (
        qs.values(y=ExtractYear("closed_at"), q=ExtractQuarter("closed_at"))
        .annotate(n=Count("id", distinct=True))
        .order_by("y", "q")
    )
    counter: Counter[str] = Counter()
    for r in rows:
        counter[f"{r['y']}-Q{r['q']}"] += r["n"]
    return sorted(counter.items())


def open_overdue_improvements(user, today: date) -> int:
    return improvements_for(user).filter(~Q(status=ImprovementItem.Status.CLOSED), due_date__lt=today).count()
