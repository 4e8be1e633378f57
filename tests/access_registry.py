"""Every URL the product serves, listed once: who may use it and how to build its arguments.

``tests/test_access_registry.py`` runs the unequal-fixture check (QUALITY.md) over every entry
and walks Django's URL resolver: a route missing here fails the suite, so a new endpoint cannot
skip the access check. ``tests/test_leak_scan.py`` walks the same entries looking for full card,
mobile and ID numbers.

An entry says:
- ``roles``: the roles that may use the route (``ALL`` = any signed-in user, ``PUBLIC`` = anyone).
  Everybody else gets 403 or 404 (never a page).
- ``obj``: for a route about one object (``case``, ``recording``, ``improvement``), how its
  arguments are built from that object. A branch user asking for another branch's object gets
  404 — whatever their role, so the answer never tells that the object exists.
- ``rows``: for lists, searches, exports and reports, what the response lists (case references,
  recording ids, improvement ids); ``exact`` says whether that is everything the user may see
  (a list) or a subset (an inbox that shows only what waits on the user).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from accounts import roles

AGENT, HANDLER, MANAGER = roles.AGENT, roles.BRANCH_HANDLER, roles.BRANCH_MANAGER
OFFICER, APPROVER, LISTENER = roles.HO_OFFICER, roles.HO_APPROVER, roles.LISTENING_MANAGER
AUDITOR, ADMIN = roles.AUDITOR, roles.ADMIN

ALL = frozenset(r for r, _ in roles.ROLE_CHOICES)
PUBLIC = ALL | {"anonymous"}
INTAKE = frozenset({AGENT, HANDLER, MANAGER, OFFICER, ADMIN})
ANALYTICS = frozenset({OFFICER, APPROVER, MANAGER, LISTENER, AUDITOR, ADMIN})
REMEDIATION = frozenset({OFFICER, APPROVER, MANAGER, ADMIN})
UPLOAD = frozenset({AGENT, HANDLER, MANAGER, OFFICER, APPROVER, ADMIN})
SUSPECTS = frozenset({AGENT, OFFICER, APPROVER, MANAGER, ADMIN})
UNMASK = frozenset({OFFICER, APPROVER})
AUDIT = frozenset({AUDITOR, ADMIN})
REGULATOR_IMPORT = frozenset({OFFICER})
REGULATOR_EXPORT = frozenset({OFFICER, APPROVER, MANAGER, AUDITOR})
QA_READ = frozenset({LISTENER, MANAGER, OFFICER, APPROVER, ADMIN, AUDITOR})
QA_REVIEW = QA_READ - {AUDITOR}

# Namespaces left out on purpose, with the reason. Everything else must be listed.
EXCLUDED_NAMESPACES = {
    "admin": "Django admin: staff flag and model permissions, not the org rule (tests/accounts, tests/*/test_admin*)",
}

REF_RE = re.compile(r"VOC-\d{4}-\d{7,}")


# --- what a response lists ------------------------------------------------------------------


def refs(resp) -> set[str]:
    """Case references anywhere in the body (HTML, JSON, CSV)."""
    return set(REF_RE.findall(body_text(resp)))


def refs_xlsx(resp) -> set[str]:
    """Case references in an XLSX file's sheets and shared strings."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(body_bytes(resp))) as z:
        text = "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    return set(REF_RE.findall(text))


def rec_ids_html(resp) -> set[str]:
    return {f"rec:{n}" for n in re.findall(r"/recordings/(\d+)/", body_text(resp))}


def rec_ids_api(resp) -> set[str]:
    return {f"rec:{row['id']}" for row in resp.json()["results"]}


def mail_ids_html(resp) -> set[str]:
    return {f"mail:{n}" for n in re.findall(r'data-mail="(\d+)"', body_text(resp))}


def mail_pk(mail) -> list:
    return [mail.pk]


def improvement_ids_html(resp) -> set[str]:
    return {f"imp:{n}" for n in re.findall(r"/analytics/improvements/(\d+)/", body_text(resp))}


def improvement_ids_api(resp) -> set[str]:
    return {f"imp:{row['id']}" for row in resp.json()}


def improvement_ids_csv(resp) -> set[str]:
    rows = list(csv.DictReader(io.StringIO(body_text(resp).lstrip("\ufeff"))))
    return {f"imp:{row.get('id') or row['编号']}" for row in rows}  # Chinese headers by default


def report_total(resp) -> int:
    return int(resp.json()["total"])


def body_bytes(resp) -> bytes:
    if getattr(resp, "streaming", False):
        content = b"".join(resp.streaming_content)
        resp.streaming_content = [content]  # readable again by the next check
        return content
    return resp.content


def body_text(resp) -> str:
    return body_bytes(resp).decode("utf-8", errors="replace")


def json_text(resp) -> str:
    return json.dumps(resp.json(), ensure_ascii=False)


# --- the registry ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # URL name ("namespace:name"); several entries may share a name (variants)
    roles: frozenset[str]
    obj: str = ""  # "case", "recording", "improvement": the route is about one object
    args: Callable | None = None  # (object) -> URL args, or () -> URL args
    method: str = "GET"
    data: Callable | None = None  # (world) -> POST data / GET query
    ok: frozenset[int] = frozenset({200})  # answers for a user who may use it
    rows: Callable | None = None  # (response) -> set of keys it lists, or an int (a report total)
    lists: str = ""  # what ``rows`` counts: "cases", "recordings", "unlinked", "improvements"
    exact: bool = True  # rows must equal what the user may see (else: a subset of it)
    variant: str = ""
    note: str = ""
    skip_leak_scan: bool = False
    refused: frozenset[int] = frozenset({403, 404})  # answers for a role that may not use it
    head_office: bool = False  # only users at head office may use it (whatever their role)
    filter_outside_scope_404: bool = False  # ``data`` names an org; one outside the scope is a 404
    same_for_all: bool = False  # no per-user data: one head-office and two branch users suffice

    @property
    def id(self) -> str:
        return f"{self.method} {self.name}{'[' + self.variant + ']' if self.variant else ''}"


def case_ref(case) -> list:
    return [case.reference]


def case_pk(case) -> list:
    return [case.pk]


def rec_pk(rec) -> list:
    return [rec.pk]


POST_OK = frozenset({200, 302, 400})


def regulator_period() -> dict:
    """The last week up to today: the world's cases were received two days ago."""
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    return {"date_from": str(today - timedelta(days=7)), "date_to": str(today)}


def workflow_actions() -> list[str]:
    """The case page's actions: each is an API route (workflow/api/urls.py)."""
    from workflow.actions import SPECS

    return list(SPECS)


REGISTRY: list[Route] = [
    # --- voc/urls.py ---
    Route("home", ALL),
    Route("healthz", PUBLIC, ok=frozenset({200, 503}), same_for_all=True, note="service health, no customer data"),
    Route("login", PUBLIC, ok=frozenset({200, 302})),
    Route("logout", PUBLIC, method="POST", ok=frozenset({200, 302})),
    Route("set_language", PUBLIC, method="POST", data=lambda w: {"language": "zh-hans"}, ok=frozenset({302})),
    Route("api-schema", ALL, same_for_all=True, note="the OpenAPI document"),
    Route("api-docs", ALL, same_for_all=True),
    # --- accounts ---
    Route("accounts:audit_log", AUDIT),
    Route("accounts:notifications", ALL),
    Route(
        "accounts:password_set",
        PUBLIC,
        args=lambda: ["MQ", "0-invalid"],
        same_for_all=True,
        note="one-time link for new users; a wrong token shows 'link invalid'",
    ),
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
    # --- workflow ---
    Route("workflow:inbox", ALL, rows=refs, lists="cases", exact=False),
    Route("workflow:inbox_badge", ALL, note="the top bar's count of new inbox cases, loaded by htmx"),
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
    # --- mailintake (e-mail into the intake queue) ---
    Route("mailintake:queue", INTAKE, rows=mail_ids_html, lists="mail", note="drafts of the user's subtree"),
    Route("mailintake:detail", INTAKE, obj="mail", args=mail_pk),
    Route(
        "mailintake:attachment",
        INTAKE,
        obj="mail",
        args=lambda m: [m.pk, m.attachments.get().pk],
        note="a download (application/octet-stream), never rendered",
    ),
    Route(
        "mailintake:not_complaint",
        INTAKE,
        obj="mail",
        args=mail_pk,
        method="POST",
        data=lambda w: {"reason": ""},
        ok=frozenset({400}),
        note="without a reason nothing changes (tests/mailintake/test_pages.py)",
    ),
    # --- recordings: pages ---
    Route("recordings:list", ALL, rows=rec_ids_html, lists="recordings"),
    Route("recordings:upload", UPLOAD, method="POST", ok=frozenset({400}), note="no file: a form error"),
    Route("recordings:inbox", ALL, rows=rec_ids_html, lists="recordings", exact=False),
    Route("recordings:suspected", SUSPECTS, rows=rec_ids_html, lists="unlinked", exact=False),
    Route("recordings:plays", AUDIT),
    Route("recordings:case", ALL, obj="case", args=case_ref),
    Route("recordings:case_panel", UPLOAD, obj="case", args=case_ref, method="POST", ok=POST_OK),
    Route("recordings:detail", ALL, obj="recording", args=rec_pk),
    Route("recordings:status", ALL, obj="recording", args=rec_pk),
    Route("recordings:audio", ALL, obj="recording", args=lambda r: [r.pk, "redacted"], skip_leak_scan=True),
    Route("recordings:codes", ALL, obj="recording", args=rec_pk),
    Route("recordings:flag", UNMASK, obj="recording", args=rec_pk, method="POST", ok=POST_OK),
    Route(
        "recordings:listened",
        frozenset({LISTENER, MANAGER}),
        obj="recording",
        args=rec_pk,
        method="POST",
        ok=frozenset({404}),
        note="for the audience of a flagged recording only; the world flags none, so 404 for all",
    ),
    Route("recordings:comment", ALL, obj="recording", args=rec_pk, method="POST", ok=POST_OK),
    Route(
        "recordings:link",
        UPLOAD,
        obj="recording",
        args=rec_pk,
        method="POST",
        ok=POST_OK,
        refused=frozenset({302}),
        note="the service refuses other roles: back to the recording with a message",
    ),
    Route("recordings:retry", UNMASK, obj="recording", args=rec_pk, method="POST", ok=POST_OK),
    Route(
        "recordings:dismiss",
        SUSPECTS,
        obj="recording",
        args=rec_pk,
        method="POST",
        ok=POST_OK,
        refused=frozenset({302}),
        note="the service refuses other roles: back to the recording with a message",
    ),
    Route("recordings:release", UNMASK, obj="recording", args=rec_pk, method="POST", ok=POST_OK),
    # --- recordings: API ---
    Route("recordings_api:list", ALL, rows=rec_ids_api, lists="recordings"),
    Route("recordings_api:detail", ALL, obj="recording", args=rec_pk),
    Route(
        "recordings_api:audio",
        ALL,
        obj="recording",
        args=lambda r: [r.pk, "redacted"],
        skip_leak_scan=True,
    ),
    Route("recordings_api:code_suggestions", ALL, obj="recording", args=rec_pk),
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
    # --- integrations: regulator transfers (head office's complaint officers import) ---
    Route(
        "integrations:regulator_upload", REGULATOR_IMPORT, head_office=True, note="the upload page and recent batches"
    ),
    Route(
        "integrations:regulator_upload",
        REGULATOR_IMPORT,
        method="POST",
        head_office=True,
        ok=frozenset({400}),
        variant="no file",
        note="no file: a form error; the flow in tests/integrations/test_regulator_import.py",
    ),
    Route(
        "integrations:regulator_template", REGULATOR_IMPORT, args=lambda: ["xlsx"], head_office=True, same_for_all=True
    ),
    Route(
        "integrations:regulator_batch",
        REGULATOR_IMPORT,
        obj="regulator_batch",
        args=lambda b: [b.pk],
        head_office=True,
        note="a batch is head office's, not an org's: any branch user gets 404",
    ),
    Route(
        "integrations:regulator_import",
        REGULATOR_IMPORT,
        obj="regulator_batch",
        args=lambda b: [b.pk],
        method="POST",
        head_office=True,
        ok=frozenset({302}),
    ),
    *[
        Route(
            "integrations:regulator_errors",
            REGULATOR_IMPORT,
            obj="regulator_batch",
            args=lambda b, f=fmt: [b.pk, f],
            head_office=True,
            variant=fmt,
            note="the rows as typed, numbers included: an unmask role, audit-logged (test_leak_scan.UNMASKING)",
        )
        for fmt in ("csv", "xlsx")
    ],
    Route("integrations:regulator_results", REGULATOR_EXPORT, data=lambda w: regulator_period()),
    *[
        Route(
            "integrations:regulator_export",
            REGULATOR_EXPORT,
            args=lambda f=fmt: [f],
            data=lambda w: regulator_period(),
            rows=refs if fmt == "csv" else refs_xlsx,
            lists="regulator_cases",
            variant=fmt,
        )
        for fmt in ("csv", "xlsx")
    ],
    # --- callqa (call QA) ---
    Route("callqa:queue", QA_READ, rows=rec_ids_html, lists="recordings", exact=False),
    Route("callqa:scorecards", QA_READ),
    Route("callqa:scorecards", QA_READ, data=lambda w: {"by": "team"}, variant="by team"),
    Route("callqa:call", QA_READ, obj="recording", args=rec_pk),
    Route(
        "callqa:overturn",
        QA_REVIEW,
        obj="recording",
        args=rec_pk,
        method="POST",
        ok=POST_OK,
        note="no such hit: a message and back to the call; overturning in tests/callqa/test_pages.py",
    ),
]


def url_of(route: Route, obj=None) -> str:
    from django.urls import reverse

    if route.obj:
        return reverse(route.name, args=route.args(obj))
    return reverse(route.name, args=route.args() if route.args else None)


def request_route(client, route: Route, world, obj=None):
    """Ask for ``route`` (about ``obj``) the way the registry says, with the world's data."""
    data = route.data(world) if route.data else {}
    if route.method == "POST":
        return client.post(url_of(route, obj), data)
    return client.get(url_of(route, obj), data)


def registered_names() -> set[str]:
    return {r.name for r in REGISTRY}


def route_by_id(route_id: str) -> Route:
    return next(r for r in REGISTRY if r.id == route_id)
