"""Analytics API: the same numbers as the pages, as JSON. Thin: validate the query,
resolve the scope (404 outside it), call the selector, serialize."""

from __future__ import annotations

import math

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors
from ..views import may_use_analytics
from . import serializers as s


def _answers(ok) -> dict:
    """The responses of a report: ``ok``, 400 for a period that does not make sense, 404 outside scope."""
    return {200: ok, 400: s.ErrorSerializer, 404: s.ErrorSerializer}


class _ReportView(APIView):
    query_serializer = s.ReportQuerySerializer

    def parse(self, request):
        if not may_use_analytics(request.user):
            raise Http404
        query = self.query_serializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data["params"]
        return query.validated_data, params, selectors.resolve_scope(request.user, params.org_code)


def _period(p) -> dict:
    return {"kind": p.kind, "label": p.label, "start": p.start, "end": p.end, "to_date": p.to_date}


def _by_branch(scope) -> bool:
    return scope.org is None or scope.org.kind == "head_office"


class TopView(_ReportView):
    @extend_schema(
        parameters=[s.ReportQuerySerializer],
        responses=_answers(s.TopResultSerializer),
        summary="TOP issues",
        description=s.PERIOD_RULES,
    )
    def get(self, request):
        _, params, scope = self.parse(request)
        result = selectors.top_issues(scope, params.period, params.dim, limit=None, compare=params.compare)
        data = {
            "scope": scope.code or "ALL",
            "period": _period(result.period),
            "previous": _period(result.previous),
            "compare": result.compare,
            "total": result.total,
            "previous_total": result.previous_total,
            "rows": result.rows,
        }
        return Response(s.TopResultSerializer(data).data)


class RisingView(_ReportView):
    @extend_schema(
        parameters=[s.ReportQuerySerializer],
        responses=_answers(s.RisingResultSerializer),
        summary="Rising issues",
        description=s.PERIOD_RULES,
    )
    def get(self, request):
        _, params, scope = self.parse(request)
        result = selectors.rising_result(scope, params.period, params.dim, by_branch=_by_branch(scope))
        data = {
            "scope": scope.code or "ALL",
            "period": _period(params.period),
            "judged": result.judged,
            "series": result.series,
            "periods": result.periods,
            "q": result.q,
            "rows": result.rows,
            "not_judged": [
                {"org_code": org, "key": key, "name": selectors.base.key_name(key)}
                for org, key in sorted(result.short_history)
            ],
        }
        return Response(s.RisingResultSerializer(data).data)


class TrendView(_ReportView):
    query_serializer = s.TrendQuerySerializer

    @extend_schema(
        parameters=[s.TrendQuerySerializer],
        responses=_answers(s.TrendSerializer),
        summary="Trend series",
        description=s.PERIOD_RULES,
    )
    def get(self, request):
        data, params, scope = self.parse(request)
        result = selectors.trend(scope, params.period, params.dim, granularity=data["granularity"], by=data["by"])
        return Response(s.TrendSerializer(result).data)


class HeatMapView(_ReportView):
    @extend_schema(
        parameters=[s.ReportQuerySerializer],
        responses=_answers(s.HeatMapSerializer),
        summary="Org x code heat map",
        description=s.PERIOD_RULES,
    )
    def get(self, request):
        _, params, scope = self.parse(request)
        return Response(s.HeatMapSerializer(selectors.heat_map(scope, params.period, params.dim)).data)


class PerformanceView(_ReportView):
    @extend_schema(
        parameters=[s.ReportQuerySerializer],
        responses=_answers(s.PerformanceSerializer),
        summary="Handling performance",
        description=s.PERIOD_RULES,
    )
    def get(self, request):
        _, params, scope = self.parse(request)
        rows, total = selectors.performance(scope, params.period)

        def finite(row):  # a median beyond the last bucket is +inf: JSON has no inf, report null
            m = row.median_first_response_h
            return (
                row
                if m is None or math.isfinite(m)
                else row.__class__(**{**row.__dict__, "median_first_response_h": None})
            )

        return Response(s.PerformanceSerializer({"rows": [finite(r) for r in rows], "total": finite(total)}).data)


class SeedKpiView(_ReportView):
    @extend_schema(
        parameters=[s.ReportQuerySerializer],
        responses=_answers(s.SeedKpiSerializer),
        summary="Seed KPIs: first response and decisions on time, per org and month",
        description="The handling-performance tab's seed KPIs: per child org of the scope (branches at head "
        "office) and month of receipt, hours from logging to the first response (median, 90th percentile) "
        "against the internal target, and the share told their decision on time; axis and level are "
        "accepted but not used. " + s.PERIOD_RULES,
    )
    def get(self, request):
        _, params, scope = self.parse(request)
        rows, total = selectors.seed_kpis(scope, params.period)
        data = {
            "scope": scope.code or "ALL",
            "period": _period(params.period),
            "target_h": selectors.first_response_target_h(),
            "rows": rows,
            "total": total,
        }
        return Response(s.SeedKpiSerializer(data).data)


class ImprovementListView(APIView):
    @extend_schema(
        parameters=[s.ImprovementQuerySerializer],
        responses=_answers(s.ImprovementSerializer(many=True)),
        summary="Remediation items in your scope",
        description="404 for a role without analytics, or an org outside the caller's scope.",
    )
    def get(self, request):
        if not may_use_analytics(request.user):
            raise Http404
        query = s.ImprovementQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        scope = selectors.resolve_scope(request.user, query.validated_data["org"])
        items = selectors.improvements_for(request.user, org_ids=scope.org_ids, status=query.validated_data["status"])
        return Response(s.ImprovementSerializer(items, many=True).data)
