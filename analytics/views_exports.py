"""Exports of every analytics table and of the cases behind a row (CSV streamed, XLSX write-only).

No row cap; every export is scoped like its page and recorded in the audit trail. Headers are
Chinese by default (the schema keys under the English UI or with ``?header=key``); numbers,
percentages and dates are typed values, written as numbers/dates with formats in XLSX.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from accounts.models import AuditAction
from accounts.services import audit_record
from voc.exports import FORMATS, Column, export_response

from . import selectors
from .dimensions import DimensionError
from .exports import CASE_SCHEMA, case_rows
from .models import FIRST_RESPONSE_BOUNDS_H
from .views import analytics_view, report_context

TABLES = ("top", "rising", "performance", "seed_kpi", "heatmap", "cases", "improvements")


C = Column


def _top(scope, params):
    result = selectors.top_issues(
        scope, params.period, params.dim, limit=None, with_rising=False, compare=params.compare
    )
    before = "去年同期" if params.compare == "year" else "上期"
    columns = [
        C("rank", "排名", "int"),
        C("code", "代码"),
        C("name", "名称"),
        C("count", "件数", "int"),
        C("share_pct", "占比", "pct"),
        C("previous", f"{before}件数", "int"),
        C("change", "变化", "int"),
        C("change_pct", "变化率", "pct"),
        C("new", "新增"),
        C("previous_rank", f"{before}排名", "int"),
        C("rank_change", "排名变化", "int"),
        C("repeat", "重复投诉", "int"),
        C("repeat_rate_pct", "重复率", "pct"),
    ]
    rows = (
        [
            r.row.rank,
            r.row.key,
            r.name,
            r.row.count,
            r.row.share,
            r.row.previous,
            r.row.change.absolute,
            r.row.change.percent,
            "新增" if r.row.change.is_new else "",
            r.row.previous_rank,
            r.row.rank_change,
            r.row.repeat,
            r.row.repeat_rate,
        ]  # fmt: skip
        for r in result.rows
    )
    return columns, rows


def _rising(scope, params):
    rows = selectors.rising_for(
        scope, params.period, params.dim, by_branch=scope.org is None or scope.org.kind == "head_office"
    )
    columns = [
        C("code", "代码"),
        C("name", "名称"),
        C("org", "机构"),
        C("current", "判断件数", "int"),
        C("period_count", "本期件数", "int"),
        C("span", "合并期数", "int"),
        C("expected", "预期件数", "number"),
        C("expected_low", "预期下限", "int"),
        C("expected_high", "预期上限", "int"),
        C("ratio", "倍数", "number"),
        C("since", "上升起始", "date"),
        C("p_value", "p值", "sci"),
        C("q_value", "q值（BH校正）", "sci"),
        C("dispersion", "离散系数", "number"),
        C("baseline", "基线件数"),
        C("baseline_periods", "基线期"),
        C("recent", "合并的此前各期件数"),
        C("excluded_periods", "排除期"),
    ]
    return columns, (
        [
            r.key,
            r.name,
            r.org_code or scope.code or "ALL",
            r.current,
            r.period_count if r.span > 1 else r.current,
            r.span,
            r.expected,
            r.lower,
            r.upper,
            r.ratio,
            r.since,
            r.p_value,
            r.q_value,
            r.dispersion,
            " ".join(map(str, r.baseline)),
            " ".join(r.baseline_labels),
            " ".join(f"{label}:{count}" for label, count in zip(r.recent_labels, r.recent, strict=True)),
            " ".join(r.excluded),
        ]  # fmt: skip
        for r in rows
    )


def _hours(value):
    """Hours as a number; beyond the last bucket (infinite) as text such as ">72"."""
    if value is None or value != float("inf"):
        return value
    return f">{FIRST_RESPONSE_BOUNDS_H[-1]}"


def _performance(scope, params):
    rows, total = selectors.performance(scope, params.period)
    columns = [
        C("org", "机构"),
        C("name", "名称"),
        C("total", "投诉件数", "int"),
        C("decided", "已决定", "int"),
        C("timely_15d_pct", "按时答复率", "pct"),
        C("median_first_response_h", "首次响应中位数（小时）", "number"),
        C("overdue_open", "超期未决定", "int"),
        C("extension_rate_pct", "延期率", "pct"),
        C("verification_rate_pct", "核实率", "pct"),
        C("upheld_rate_pct", "成立率", "pct"),
        C("redress_count", "补偿件数", "int"),
        C("redress_sum", "补偿金额（元）", "money"),
    ]
    return columns, (
        [
            r.org_code,
            r.org_name,
            r.total,
            r.decided,
            r.timely_rate,
            _hours(r.median_first_response_h),
            r.overdue_open,
            r.extension_rate,
            r.verification_rate,
            r.upheld_rate,
            r.redress_count,
            r.redress_sum,
        ]  # fmt: skip
        for r in [*rows, total]
    )


def _seed_kpi(scope, params):
    rows, total = selectors.seed_kpis(scope, params.period)
    target = f"{selectors.first_response_target_h():g}"
    columns = [
        C("org", "机构"),
        C("name", "名称"),
        C("month", "受理月份", "date"),
        C("cases", "受理件数", "int"),
        C("responded", "已首次响应", "int"),
        C("first_response_median_h", "首次响应中位数（小时）", "number"),
        C("first_response_p90_h", "首次响应P90（小时）", "number"),
        C("first_response_target_h", "内部目标（小时）", "number"),
        C("within_target_pct", f"{target}小时内响应占比", "pct"),
        C("timely_known", "已判定按时与否", "int"),
        C("timely", "按时答复", "int"),
        C("timely_pct", "按时答复占比", "pct"),
    ]
    return columns, (
        [
            r.org_code,
            r.org_name,
            r.month,
            r.cases,
            r.responded,
            r.median_h,
            r.p90_h,
            selectors.first_response_target_h(),
            r.within_target,
            r.timely_known,
            r.timely,
            r.timely_rate,
        ]  # fmt: skip
        for r in [*rows, total]
    )


def _heatmap(scope, params):
    heat = selectors.heat_map(scope, params.period, params.dim, top=1000)
    columns = [C("org", "机构"), C("name", "名称"), *[C(k, k, "int") for k, _ in heat.keys]]
    return columns, ([code, name, *cells] for (code, name), cells in zip(heat.orgs, heat.cells, strict=True))


def _improvements(request, scope):
    items = selectors.improvements_for(request.user, org_ids=scope.org_ids).order_by("id")
    columns = [
        C("id", "编号", "int"),
        C("title", "整改事项"),
        C("owner_org", "责任机构"),
        C("status", "状态"),
        C("source", "来源"),
        C("codes", "代码"),
        C("period", "周期"),
        C("due_date", "整改期限", "date"),
        C("created_at", "创建时间", "datetime"),
        C("closed_at", "关闭时间", "datetime"),
        C("cases", "关联案件数", "int"),
    ]
    return columns, (
        [
            i.pk,
            i.title,
            i.owner_org.code,
            i.status,
            i.source,
            " ".join(i.codes),
            i.period_label,
            i.due_date,
            i.created_at,
            i.closed_at,
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
        header, rows = CASE_SCHEMA, case_rows(qs)
    elif table == "improvements":
        header, rows = _improvements(request, scope)
    else:
        header, rows = {
            "top": _top,
            "rising": _rising,
            "performance": _performance,
            "seed_kpi": _seed_kpi,
            "heatmap": _heatmap,
        }[table](scope, params)
    audit_record(
        actor=request.user,
        action=AuditAction.ANALYTICS_EXPORT,
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
    # Chinese headers by default, the schema keys under the English UI or with ?header=key
    keys = True if request.GET.get("header") == "key" else None
    return export_response(fmt, filename, header, rows, keys=keys)
