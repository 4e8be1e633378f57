"""Routes of workflow: pages and API (one API route per case action)."""

from __future__ import annotations

from tests.access_registry.base import (
    ALL,
    APPROVER,
    HANDLER,
    MANAGER,
    OFFICER,
    Route,
    case_pk,
    case_ref,
    refs,
)


def workflow_actions() -> list[str]:
    """The case page's actions: each is an API route (workflow/api/urls.py)."""
    from workflow.actions import SPECS

    return list(SPECS)


ROUTES: list[Route] = [
    # --- workflow ---
    Route("workflow:inbox", ALL, rows=refs, lists="cases", exact=False),
    Route("workflow:badges", ALL, note="the top bar's counts of new inbox cases and approvals (one fragment), htmx"),
    Route("workflow:mine", ALL, rows=refs, lists="cases", exact=False),
    Route("workflow:overview", ALL, head_office=True, note="deadline counts by branch"),
    Route("workflow:approvals", frozenset({OFFICER, APPROVER, MANAGER}), rows=refs, lists="cases", exact=False),
    Route("workflow:case", ALL, obj="case", args=case_pk, note="the one case page: every app's panels"),
    Route(
        "workflow:bulk",
        frozenset({OFFICER}),
        method="POST",
        data=lambda w: {"action": "route", "case": [c.pk for cs in w.cases.values() for c in cs]},
        rows=refs,
        lists="cases",
        exact=False,
        variant="route",
        note="per-row results name only cases in scope (tests/workflow/test_bulk.py)",
    ),
    Route(
        "workflow:bulk",
        frozenset({MANAGER}),
        method="POST",
        data=lambda w: {
            "action": "assign",
            "case": [c.pk for cs in w.cases.values() for c in cs],
            "handler": next(u.pk for u in w.users if u.has_role(HANDLER)),
        },
        rows=refs,
        lists="cases",
        exact=False,
        variant="assign",
    ),
    Route(
        "workflow:act",
        ALL,
        obj="case",
        args=lambda c: [c.pk, "accept"],
        method="POST",
        ok=frozenset({302, 400, 403, 409}),
        note="whether the action is allowed is the workflow's business (tests/workflow); here: scope",
    ),
    # --- workflow: API ---
    Route("workflow_api:timeline", ALL, obj="case", args=case_ref),
    Route("workflow_api:clock", ALL, obj="case", args=case_ref),
    *[
        Route(
            f"workflow_api:action_{name}",
            ALL,
            obj="case",
            args=case_ref,
            method="POST",
            ok=frozenset({200, 400, 403, 409}),
            note="an empty body: whether the action is allowed is the workflow's business "
            "(tests/workflow/test_api_*); here: scope",
        )
        for name in workflow_actions()
    ],
]
