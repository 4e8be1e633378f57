"""What every registry module shares: the roles' sets, the ``Route`` entry, and how a response's
rows and a route's arguments are read. The entries themselves live in ``<app>_routes.py``."""

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
    json: bool = False  # ``data`` is sent as a JSON body (an API that parses JSON only), else as a form

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
