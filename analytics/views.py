"""Report pages: TOP issues, drill-down, rising issues, trends, performance. Thin: parse
parameters (forms), call selectors, render. Exports live in ``views_exports``."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from accounts import roles
from accounts.selectors import orgs_visible_to
from complaints.pii import mask_text
from complaints.states import CaseState

from . import selectors
from .dimensions import DimensionError
from .forms import (
    AXIS_CHOICES,
    COMPARE_CHOICES,
    KIND_CHOICES,
    LEVEL_CHOICES,
    PRESET_CHOICES,
    ReportParams,
    parse_report,
)
from .selectors.channels import channel_mix
from .services import can_manage_improvements

ANALYTICS_ROLES = (
    roles.HO_OFFICER,
    roles.HO_APPROVER,
    roles.BRANCH_MANAGER,
    roles.LISTENING_MANAGER,
    roles.AUDITOR,
    roles.ADMIN,
)

STATE_LABELS = dict(CaseState.choices)


def may_use_analytics(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(*ANALYTICS_ROLES))


def analytics_view(view):
    """Login required; users without an analytics role get 404 (the feature is not theirs)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not may_use_analytics(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def report_context(request: HttpRequest) -> tuple[dict, ReportParams | None, selectors.Scope | None]:
    """Parse the shared filter bar; an org outside the user's scope raises 404 (via resolve_scope)."""
    params, errors = parse_report(request.GET)
    scope = selectors.resolve_scope(request.user, params.org_code if params else request.GET.get("org"))
    context = {
        "params": params,
        "errors": errors,
        "scope": scope,
        "q": request.GET,
        "org_choices": list(orgs_visible_to(request.user).values_list("code", "name_zh")),
        "kind_choices": KIND_CHOICES,
        "preset_choices": PRESET_CHOICES,
        "compare_choices": COMPARE_CHOICES,
        "axis_choices": AXIS_CHOICES,
        "level_choices": LEVEL_CHOICES,
        "can_remediate": can_manage_improvements(request.user),
    }
    if params:
        context["query"] = params.query()
    return context, params, scope


def _render(request, template: str, context: dict) -> HttpResponse:
    return render(request, template, context, status=400 if context.get("errors") else 200)


@analytics_view
def top(request: HttpRequest) -> HttpResponse:
    context, params, scope = report_context(request)
    if params:
        result = selectors.top_issues(scope, params.period, params.dim, limit=50, compare=params.compare)
        context["result"] = result
        context["channels"] = channel_mix(scope, params.period, compare=params.compare)
        assessed = selectors.rising_result(
            scope, params.period, params.dim, by_branch=scope.org is None or scope.org.kind == "head_office"
        )
        context["rising"] = assessed.rows[:15]
        context["assessed"] = assessed
        context["chart"] = {
            "labels": [r.row.key for r in result.rows[:10]],
            "current": [r.row.count for r in result.rows[:10]],
            "previous": [r.row.previous for r in result.rows[:10]],
        }
    return _render(request, "analytics/top.html", context)


@analytics_view
def hot_terms_panel(request: HttpRequest) -> HttpResponse:
    """The TOP page's hot-topic panel (loaded by htmx after the page): terms rising in the calls
    of the report's scope this week."""
    context, params, scope = report_context(request)
    if params:
        context["hot"] = selectors.hot_terms_for(scope, params.period)
    return _render(request, "analytics/_hot_terms.html", context)


def case_detail_url(pk: int, reference: str) -> str | None:
    """Link to the case page if the intake app provides one; else None (row shows no link)."""
    for arg in (pk, reference):
        try:
            return reverse("complaints:detail", args=[arg])
        except NoReverseMatch:
            continue
    return None


@analytics_view
def cases(request: HttpRequest) -> HttpResponse:
    """The cases behind a TOP/rising/heat-map row, paginated, with export and remediation links."""
    context, params, scope = report_context(request)
    key = request.GET.get("code", "").strip()
    if params:
        try:
            qs = selectors.drilldown_cases(scope, params.period, params.dim if key else None, key)
        except DimensionError as exc:
            context["errors"] = [str(exc)]
        else:
            page = Paginator(
                qs.select_related("code_a", "code_b", "code_c", "responsible_org", "customer").only(
                    "reference",
                    "received_at",
                    "status",
                    "summary",
                    "code_a__code",
                    "code_b__code",
                    "code_c__code",
                    "responsible_org__code",
                    "responsible_org__name_zh",
                    "customer__surname",
                    "customer__title",
                ),
                50,
            ).get_page(request.GET.get("page"))
            context.update(
                page=page,
                key=key,
                key_name=selectors.base.key_name(key) if key else "",
                rows=[
                    {
                        "c": c,
                        "summary": mask_text(c.summary),
                        "status": STATE_LABELS.get(c.status, c.status),
                        "url": case_detail_url(c.pk, c.reference),
                    }
                    for c in page
                ],
                export_query=params.query(code=key),
            )
    return _render(request, "analytics/cases.html", context)


@analytics_view
def rising(request: HttpRequest) -> HttpResponse:
    context, params, scope = report_context(request)
    if params:
        assessed = selectors.rising_result(
            scope, params.period, params.dim, by_branch=scope.org is None or scope.org.kind == "head_office"
        )
        context.update(rows=assessed.rows, assessed=assessed, short=sorted(assessed.short_history))
    return _render(request, "analytics/rising.html", context)


@analytics_view
def trends(request: HttpRequest) -> HttpResponse:
    context, params, scope = report_context(request)
    granularity = request.GET.get("granularity") or "week"
    by = request.GET.get("by") or "code"
    if params:
        try:
            result = selectors.trend(scope, params.period, params.dim, granularity=granularity, by=by)
        except ValueError as exc:
            context["errors"] = [str(exc)]
        else:
            heat = selectors.heat_map(scope, params.period, params.dim)
            context.update(
                trend=result,
                heat=heat,
                heat_rows=[
                    (
                        org,
                        [
                            (cell, round(100 * cell / heat.max_value) if heat.max_value else 0, key)
                            for cell, (key, _name) in zip(cells, heat.keys, strict=True)
                        ],
                    )
                    for org, cells in zip(heat.orgs, heat.cells, strict=True)
                ],
                granularity=granularity,
                by=by,
                chart={
                    "labels": list(result.buckets),
                    "series": [{"label": s.label, "data": list(s.values)} for s in result.series],
                },
            )
    return _render(request, "analytics/trends.html", context)


@analytics_view
def performance(request: HttpRequest) -> HttpResponse:
    context, params, scope = report_context(request)
    if params:
        rows, total = selectors.performance(scope, params.period)
        kpi_rows, kpi_total = selectors.seed_kpis(scope, params.period)
        context.update(
            rows=rows,
            total=total,
            kpi_rows=kpi_rows,
            kpi_total=kpi_total,
            target_h=f"{selectors.first_response_target_h():g}",
        )
    return _render(request, "analytics/performance.html", context)
