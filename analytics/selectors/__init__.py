"""Reads of the analytics app; each starts from a ``Scope`` built by ``resolve_scope``."""

from .base import Scope, complaints_in, resolve_scope, rollups_in
from .cases import drilldown_cases, fixed_per_quarter, improvement_cases, improvement_for, improvements_for
from .hot import HotPanel, hot_terms_for
from .kpi import SeedKpiRow, first_response_target_h, seed_kpis
from .performance import PerformanceRow, performance
from .rising import RisingResult, RisingRow, rising_for, rising_for_scope, rising_result
from .top import TopResult, TopRow, counts_by_key, top_issues
from .trends import HeatMap, TrendResult, heat_map, trend

__all__ = [
    "HeatMap",
    "HotPanel",
    "PerformanceRow",
    "RisingResult",
    "RisingRow",
    "Scope",
    "SeedKpiRow",
    "TopResult",
    "TopRow",
    "TrendResult",
    "complaints_in",
    "counts_by_key",
    "drilldown_cases",
    "first_response_target_h",
    "fixed_per_quarter",
    "heat_map",
    "hot_terms_for",
    "improvement_cases",
    "improvement_for",
    "improvements_for",
    "performance",
    "resolve_scope",
    "rising_for",
    "rising_for_scope",
    "rising_result",
    "rollups_in",
    "seed_kpis",
    "top_issues",
    "trend",
]
