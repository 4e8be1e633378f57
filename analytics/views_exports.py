"""Exports of every analytics table and of the cases behind a row (CSV streamed, XLSX write-only).

No row cap; every export is scoped like its page and recorded in the audit trail.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from accounts.services import audit_record

from . import selectors
from .dimensions import DimensionError
from .exports import CASE_COLUMNS, FORMATS, case_rows, export_response
from .views import analytics_view, report_context

TABLES = ("top", "rising", "performance", "heatmap", "cases", "improvements")


def _fmt_pct(value) -> str:
    return "" if value is None else f"{value}"


def _top(scope, params):
    result = selectors.top_issues(
        scope, params.period, params.dim, limit=None, with_rising=False, compare=params.compare
    )
    header = ["rank", "code", "name", "count", "share_pct", "previous", "change", "change_pct", "new", "previous_rank", "rank_change", "repeat", "repeat_rate_pct"]  # fmt: skip
    rows = (
        [
            r.row.rank,
            r.row.key,
            r.name,
            r.row.count,
            _fmt_pct(r.row.share),
            r.row.previous,
            r.row.change.absolute,
            _fmt_pct(r.row.change.percent),
            "new" if r.row.change.is_new else "",
            r.row.previous_rank or "",
            "" if r.row.rank_change is None else r.row.rank_change,
            r.row.repeat,
            _fmt_pct(r.row.repeat_rate),
        ]  # fmt: skip
        for r in result.rows
    )
    return header, rows


def _rising(scope, params):
    rows = selectors.rising_for(
        scope, params.period, params.dim, by_branch=scope.org is None or scope.org.kind == "head_office"
    )
    header = ["code", "name", "org", "current", "expected", "expected_low", "expected_high", "ratio", "since", "p_value", "q_value", "dispersion", "baseline", "baseline_periods", "excluded_periods"]  # fmt: skip
    return header, (
        [
            r.key,
            r.name,
            r.org_code or scope.code or "ALL",
            r.current,
            r.expected,
            r.lower,
            r.upper,
            "" if r.ratio is None else r.ratio,
            r.since.isoformat() if r.since else "",
            f"{r.p_value:.3g}",
            f"{r.q_value:.3g}",
            r.dispersion,
            " ".join(map(str, r.baseline)),
            " ".join(r.baseline_labels),
            " ".join(r.excluded),
        ]  # fmt: skip
        for r in rows
    )


def _performance(scope, params):
    rows, total = selectors.performance(scope, params.period)
    header = ["org", "name", "total", "decided", "timely_15d_pct", "median_first_response_h", "overdue_open", "extension_rate_pct", "verification_rate_pct", "upheld_rate_pct", "redress_count", "redress_sum"]  # fmt: skip
    return header, (
        [
            r.org_code,
            r.org_name,
            r.total,
            r.decided,
            _fmt_pct(r.timely_rate),
            "" if r.median_first_response_h is None else r.median_first_response_h,
            r.overdue_open,
            _fmt_pct(r.extension_rate),
            _fmt_pct(r.verification_rate),
            _fmt_pct(r.upheld_rate),
            r.redress_count,
            f"{r.redress_sum:.2f}",
        ]  # fmt: skip
        for r in [*rows, total]
    )


def _heatmap(scope, params):
    heat = selectors.heat_map(scope, params.period, params.dim, top=1000)
    header = ["org", "name", *[k for k, _ in heat.keys]]
    return header, ([code, name, *cells] for (code, name), cells in zip(heat.orgs, heat.cells, strict=True))


def _improvements(request, scope):
    items = selectors.improvements_for(request.user, org_ids=scope.org_ids).order_by("id")
    header = ["id", "title", "owner_org", "status", "source", "codes", "period", "due_date", "created_at", "closed_at", "cases"]  # fmt: skip
    return header, (
        [
            i.pk,
            i.title,
            i.owner_org.code,
            i.status,
            i.source,
            " ".join(i.codes),
            i.period_label,
            i.due_date.isoformat(),
            timezone.localtime(i.created_at).isoformat(timespec="seconds"),
            timezone.localtime(i.closed_at).isoformat(timespec="seconds") if i.closed_at else "",
            i.case_count,
        ]  # fmt: skip
        for i in items.iterator(chunk_size=500)
    )


@analytics_view
def export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    if table not in TABLES or fmt not in FORMATS:
        raise Http404
    context, params, scope = report_context(request)
    if not params:
        return HttpResponse("\n".join(context["errors"]), status=400, content_type="text/plain; charset=utf-8")
    key = request.GET.get("code", "").strip()
    if table == "cases":
        try:
            qs = selectors.drilldown_cases(scope, params.period, params.dim if key else None, key)
        except DimensionError as exc:
            return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
        header, rows = list(CASE_COLUMNS), case_rows(qs)
    elif table == "improvements":
        header, rows = _improvements(request, scope)
    else:
        header, rows = {"top": _top, "rising": _rising, "performance": _performance, "heatmap": _heatmap}[table](
            scope, params
        )
    audit_record(
        actor=request.user,
        action="analytics.export",
        object_type="analytics.report",
        object_id=table,
        format=fmt,
        scope=scope.code or "ALL",
        period=params.period.label,
        axis=params.dim.axis,
        level=params.dim.level,
        code=key,
    )
    filename = f"voc-{table}-{scope.code or 'ALL'}-{params.period.label}".replace("~", "_")
    return export_response(fmt, filename, header, rows)
