"""Routes of complaints: pages and API."""

from __future__ import annotations

from tests.access_registry.base import (
    ALL,
    INTAKE,
    PUBLIC,
    UNMASK,
    Route,
    case_ref,
    refs,
)

ROUTES: list[Route] = [
    # --- complaints: pages ---
    Route("complaints:list", ALL, rows=refs, lists="cases"),
    # The list's count (htmx, after the rows): a number of the user's own cases, no rows.
    Route("complaints:list_count", ALL),
    Route("complaints:list_count", ALL, data=lambda w: {"q": "年费"}, variant="search"),
    Route("complaints:list", ALL, data=lambda w: {"q": "年费"}, rows=refs, lists="cases", variant="search"),
    Route("complaints:list", ALL, data=lambda w: {"org": "BJ"}, rows=refs, lists="cases@BJ", variant="org BJ"),
    Route("complaints:list", ALL, data=lambda w: {"org": "BJ-CY"}, rows=refs, lists="cases@BJ-CY", variant="org BJ-CY"),
    Route(
        "complaints:list", ALL, data=lambda w: {"org": "北京分行"}, rows=refs, lists="cases@BJ", variant="org by name"
    ),
    Route(
        "complaints:list",
        ALL,
        data=lambda w: {"status": "open", "sort": "due"},
        rows=refs,
        lists="cases",
        variant="status+sort",
    ),
    Route(
        "complaints:saved_view_save",
        ALL,
        method="POST",
        data=lambda w: {"name": "我的", "query": "status=registered"},
        ok=frozenset({302}),
        note="the user's own saved view; isolation in tests/complaints/test_list_filters.py",
    ),
    Route(
        "complaints:saved_view_delete",
        ALL,
        method="POST",
        args=lambda: [999999],
        ok=frozenset({404}),
        note="only the owner's own view: any other id is a 404 (tests/complaints/test_list_filters.py)",
    ),
    Route(
        "complaints:customer",
        ALL,
        obj="customer",
        args=lambda cu: [cu.pk],
        note="the customer page: their cases in the user's scope; a customer with none is a 404 "
        "(two-branch customer in tests/complaints/test_customer_page.py)",
    ),
    Route("complaints:intake", INTAKE),
    Route(
        "complaints:intake",
        INTAKE,
        data=lambda w: {"mail": w.mail["BJS"][0].pk},
        lists="mail@BJS",
        filter_outside_scope_404=True,
        variant="from mail",
        note="registering a mail of the queue: a mail outside the user's scope is a 404",
    ),
    Route(
        "complaints:intake_customer",
        INTAKE,
        method="POST",
        data=lambda w: {"mobile": w.mobiles["BJS"]},
        rows=refs,
        lists="cases@BJS",
        note="another branch's customer: only cases the user may see",
    ),
    Route(
        "complaints:intake_repeat_check",
        INTAKE,
        method="POST",
        data=lambda w: {"mobile": w.mobiles["BJS"], "code_b": "B030202"},
        rows=refs,
        lists="cases@BJS",
        exact=False,
    ),
    Route("complaints:public_form", PUBLIC, same_for_all=True),
    Route("complaints:public_thanks", PUBLIC, ok=frozenset({200, 302}), note="without a submission: to the form"),
    Route("complaints:taxonomy_search", ALL, data=lambda w: {"q": "年费"}, same_for_all=True),
    Route(
        "complaints:detail",
        ALL,
        obj="case",
        args=case_ref,
        ok=frozenset({301}),
        note="the old address: a permanent redirect to workflow:case (the one case page), 404 outside scope",
    ),
    Route(
        "complaints:link_repeat",
        ALL,
        obj="case",
        args=case_ref,
        method="POST",
        ok=frozenset({302}),
        note="no target named: every user who sees the case is sent back to it",
    ),
    Route(
        "complaints:reveal_customer",
        UNMASK,
        obj="case",
        args=case_ref,
        method="POST",
        note="also the branch handler a case is assigned to, phone only (tests/workflow/test_handling_flow.py)",
    ),
    # --- complaints: API ---
    Route("complaints_api:complaint_list", ALL, rows=refs, lists="cases"),
    Route("complaints_api:complaint_list", ALL, data=lambda w: {"q": "年费"}, rows=refs, lists="cases", variant="q"),
    Route(
        "complaints_api:complaint_list",
        ALL,
        data=lambda w: {"org": "BJ"},
        rows=refs,
        lists="cases@BJ",
        variant="org BJ",
    ),
    Route("complaints_api:complaint_detail", ALL, obj="case", args=case_ref),
    Route("complaints_api:taxonomy", ALL, same_for_all=True),
]
