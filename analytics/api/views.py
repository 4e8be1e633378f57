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
    return {"kind": p.kind, "label": p.label, "start": p.start, "end": p.end}


def _by_branch(scope) -> bool:
    return scope.org is None or scope.org.kind == "head_office"


class TopView(_ReportView):
    @extend_schema(parameters=[s.ReportQuerySerializer], responses=s.TopResultSerializer, summary="TOP issues")
    def get(self, request):
        _, params, scope = self.parse(request)
        result = selectors.top_issues(scope, params.period, params.dim, limit=None)
        data = {
            "scope": scope.code or "ALL",
            "period": _period(result.period),
            "previous": _period(result.previous),
            "total": result.total,
            "previous_total": result.previous_total,
            "rows": result.rows,
        }
        return Response(s.TopResultSerializer(data).data)


class RisingView(_ReportView):
    @extend_schema(
        parameters=[s.ReportQuerySerializer], responses=s.RisingRowSerializer(many=True), summary="Rising issues"
    )
    def get(self, request):
        _, params, scope = self.parse(request)
        rows = selectors.rising_for(scope, params.period, params.dim, by_branch=_by_branch(scope))
        return Response(s.RisingRowSerializer(rows, many=True).data)


class TrendView(_ReportView):
    query_serializer = s.TrendQuerySerializer

    @extend_schema(parameters=[s.TrendQuerySerializer], responses=s.TrendSerializer, summary="Trend series")
    def get(self, request):
        data, params, scope = self.parse(request)
        result = selectors.trend(scope, params.period, params.dim, granularity=data["granularity"], by=data["by"])
        return Response(s.TrendSerializer(result).data)


class HeatMapView(_ReportView):
    @extend_schema(parameters=[s.ReportQuerySerializer], responses=s.HeatMapSerializer, summary="Org x code heat map")
    def get(self, request):
        _, params, scope = self.parse(request)
        return Response(s.HeatMapSerializer(selectors.heat_map(scope, params.period, params.dim)).data)


class PerformanceView(_ReportView):
    @extend_schema(
        parameters=[s.ReportQuerySerializer], responses=s.PerformanceSerializer, summary="Handling performance"
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


class ImprovementListView(APIView):
    @extend_schema(responses=s.ImprovementSerializer(many=True), summary="Remediation items in your scope")
    def get(self, request):
        if not may_use_analytics(request.user):
            raise Http404
        scope = selectors.resolve_scope(request.user, request.query_params.get("org"))
        items = selectors.improvements_for(
            request.user, org_ids=scope.org_ids, status=request.query_params.get("status", "")
        )
        return Response(s.ImprovementSerializer(items, many=True).data)
