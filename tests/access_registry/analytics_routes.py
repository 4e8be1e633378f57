"""Routes of analytics: pages, exports and API."""

from __future__ import annotations

from tests.access_registry.base import (
    ANALYTICS,
    REMEDIATION,
    Route,
    improvement_ids_api,
    improvement_ids_csv,
    improvement_ids_html,
    refs,
    report_total,
)

ROUTES: list[Route] = [
    # --- analytics: pages and exports ---
    Route("analytics:top", ANALYTICS),
    Route("analytics:cases", ANALYTICS, rows=refs, lists="cases"),
    Route("analytics:rising", ANALYTICS),
    Route("analytics:hot_terms", ANALYTICS),
    Route("analytics:trends", ANALYTICS),
    Route("analytics:performance", ANALYTICS),
    *[
        Route("analytics:export", ANALYTICS, args=lambda t=table, f=fmt: [t, f], variant=f"{table}.{fmt}")
        for table in ("top", "rising", "performance", "heatmap")
        for fmt in ("csv", "xlsx")
    ],
    Route("analytics:export", ANALYTICS, args=lambda: ["cases", "csv"], rows=refs, lists="cases", variant="cases.csv"),
    Route("analytics:export", ANALYTICS, args=lambda: ["cases", "xlsx"], variant="cases.xlsx"),
    Route(
        "analytics:export",
        ANALYTICS,
        args=lambda: ["improvements", "csv"],
        rows=improvement_ids_csv,
        lists="improvements",
        variant="improvements.csv",
    ),
    Route("analytics:export", ANALYTICS, args=lambda: ["improvements", "xlsx"], variant="improvements.xlsx"),
    Route("analytics:improvements", ANALYTICS, rows=improvement_ids_html, lists="improvements"),
    Route("analytics:improvement_new", REMEDIATION),
    Route(
        "analytics:improvement_orgs",
        REMEDIATION,
        data=lambda w: {"q": "B"},
        note="the owner-org picker: active orgs in the user's scope (tests/analytics/test_improvement_org_picker.py)",
    ),
    Route("analytics:improvement_detail", ANALYTICS, obj="improvement", args=lambda i: [i.pk]),
    # --- analytics: API ---
    Route("analytics_api:top", ANALYTICS, rows=report_total, lists="cases"),
    Route(
        "analytics_api:top",
        ANALYTICS,
        data=lambda w: {"org": "BJ"},
        rows=report_total,
        lists="cases@BJ",
        filter_outside_scope_404=True,
        variant="org BJ",
    ),
    Route(
        "analytics:export",
        ANALYTICS,
        args=lambda: ["cases", "csv"],
        data=lambda w: {"org": "BJ-CY"},
        rows=refs,
        lists="cases@BJ-CY",
        filter_outside_scope_404=True,
        variant="cases.csv org BJ-CY",
    ),
    Route("analytics_api:rising", ANALYTICS),
    Route("analytics_api:trends", ANALYTICS),
    Route("analytics_api:heatmap", ANALYTICS),
    Route("analytics_api:performance", ANALYTICS),
    Route("analytics_api:seed_kpi", ANALYTICS, rows=lambda resp: int(resp.json()["total"]["cases"]), lists="cases"),
    Route("analytics_api:improvements", ANALYTICS, rows=improvement_ids_api, lists="improvements"),
]
