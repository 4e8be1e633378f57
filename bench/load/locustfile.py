"""Locust users for the load benchmark (bench/load/run.py starts locust headless with this file).

Three kinds of signed-in users of the seeded demo bank, each on its own session:
- head office (ho_officer, ho_approver, auditor): the case list with and without filters, search,
  case pages, the inbox (every branch) and the TOP page;
- branches (managers and handlers of branches and sub-branches; each sees only its subtree): the
  inbox, "my cases", the list, search, case and workflow pages, the TOP page for its branch;
- intake agents (agent): register complaints through the API (session + CSRF, Idempotency-Key)
  and open what they registered.
Case pages are the ones the user's own list or inbox linked to, as a person would click.

The app runs with production settings behind an imaginary TLS proxy: requests carry
X-Forwarded-Proto/X-Forwarded-For as nginx would set them (VOC_TRUSTED_PROXIES=1), and the cookie
client sends the Secure session and CSRF cookies over the plain loopback connection (``unsecure``).

Every request is also written to $VOC_LOAD_EVENTS (one CSV line: unix time, user kind, username,
request name, status, ok, ms, error) so the driver can say what each user saw during a fault.
"""

from __future__ import annotations

import csv
import itertools
import os
import random
import re
import threading
import time
import uuid

from locust import HttpUser, between, events, task

with open(os.environ["VOC_LOAD_PASSWORD_FILE"]) as _f:
    PASSWORD = _f.read().strip()
THINK = (float(os.environ.get("VOC_LOAD_THINK_MIN", "1")), float(os.environ.get("VOC_LOAD_THINK_MAX", "3")))

HO_USERS = ["ho_officer", "ho_approver", "auditor"]
BRANCH_USERS = [
    "bj_manager", "bj_handler", "sh_manager", "sh_handler", "gz_manager", "gz_handler", "sz_manager",
    "sz_handler", "cd_manager", "cd_handler", "bj_cy_handler", "bj_hd_handler", "sh_pd_handler",
    "sh_xh_handler", "gz_th_handler", "gz_yx_handler", "sz_ft_handler", "sz_ns_handler", "cd_jj_handler",
    "cd_wh_handler",
]  # fmt: skip
SEARCH_TERMS = ["年费", "盗刷", "手机银行", "分期", "理财", "转账到账", "柜面排队"]
CODE_B = ["B0302", "B030202", "B0101", "B02"]
CHANNELS = ["hotline", "counter", "app"]

REF_LINK = re.compile(r'href="(/complaints/[A-Z0-9][A-Z0-9-]+/)"')
CASE_LINK = re.compile(r'href="(/workflow/case/\d+/)"')

_events_lock = threading.Lock()
_request_ids = itertools.count(1)
_events_file = None
_events_writer = None


@events.init.add_listener
def _open_events(environment, **_kw):
    global _events_file, _events_writer
    path = os.environ.get("VOC_LOAD_EVENTS")
    if path:
        _events_file = open(path, "a", newline="")  # noqa: SIM115 (closed on quitting)
        _events_writer = csv.writer(_events_file)


@events.request.add_listener
def _log_request(request_type, name, response_time, response_length, response=None, context=None,
                 exception=None, **_kw):  # fmt: skip
    if _events_writer is None:
        return
    ctx = context or {}
    status = getattr(response, "status_code", 0) or 0
    with _events_lock:
        _events_writer.writerow([
            f"{time.time():.3f}", ctx.get("kind", ""), ctx.get("user", ""), name, status,
            int(exception is None), f"{response_time:.1f}", (str(exception) or type(exception).__name__)[:160]
            if exception else "", ctx.get("rid", ""),
        ])  # fmt: skip


@events.quitting.add_listener
def _close_events(environment, **_kw):
    if _events_file is not None:
        _events_file.close()


def unsecure(jar) -> None:
    """The TLS proxy is imaginary: let the Secure session and CSRF cookies travel on the plain
    loopback hop (requests builds each request's cookie header from a fresh jar, so a cookie
    policy would not do; the flag is cleared on the stored cookies instead)."""
    for cookie in jar:
        cookie.secure = False


class BankUser(HttpUser):
    abstract = True
    wait_time = between(*THINK)
    kind = ""
    accounts: list[str] = []

    def on_start(self) -> None:
        self.username = random.choice(self.accounts)
        self.origin = self.host.replace("http://", "https://", 1)
        self.client.headers.update(
            {"X-Forwarded-Proto": "https", "X-Forwarded-For": f"127.0.0.{random.randint(2, 250)}",
             "Origin": self.origin, "Referer": self.origin + "/"}
        )  # fmt: skip
        self.refs: list[str] = []
        self.cases: list[str] = []
        self.signed_in = False
        self.sign_in()

    def context(self) -> dict:
        """Who asks, and the request's id: sent as X-Load-Id, which the bench's gunicorn access log
        records with the worker's pid and its own time (bench/load/stalls.py joins the two)."""
        rid = f"q{next(_request_ids)}"
        return {"kind": self.kind, "user": self.username, "rid": rid, "headers": {"X-Load-Id": rid}}

    def sign_in(self) -> None:
        ctx = self.context()
        self.client.get("/login/", name="login page", headers=ctx["headers"], context=ctx)
        unsecure(self.client.cookies)
        token = self.client.cookies.get("csrftoken", "")
        ctx = self.context()
        with self.client.post(
            "/login/",
            data={"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            name="login",
            allow_redirects=False,
            catch_response=True,
            headers=ctx["headers"],
            context=ctx,
        ) as r:
            unsecure(self.client.cookies)
            if r.status_code == 302 and "/login" not in r.headers.get("Location", ""):
                self.signed_in = True
                r.success()
            else:
                r.failure(f"sign-in failed: {r.status_code}")

    def page(self, path: str, name: str) -> str:
        """GET a page; a redirect to the login page (session lost) counts as an error."""
        if not self.signed_in:
            self.sign_in()
            if not self.signed_in:
                return ""
        ctx = self.context()
        with self.client.get(path, name=name, catch_response=True, headers=ctx["headers"], context=ctx) as r:
            unsecure(self.client.cookies)
            if r.status_code == 200 and "/login/" not in r.url:
                r.success()
                return r.text
            if r.status_code == 200:
                r.failure("redirected to the login page")
                self.signed_in = False
            else:
                r.failure(f"HTTP {r.status_code}")
            return ""

    def remember(self, html: str) -> None:
        refs = REF_LINK.findall(html)
        cases = CASE_LINK.findall(html)
        if refs:
            self.refs = (refs[:10] + self.refs)[:30]
        if cases:
            self.cases = (cases[:10] + self.cases)[:30]

    # --- what people do ------------------------------------------------------------------
    def case_list(self) -> None:
        self.remember(self.page("/complaints/", "list"))

    def case_list_filtered(self) -> None:
        f = random.choice([f"code_b={random.choice(CODE_B)}", f"channel={random.choice(CHANNELS)}",
                           "status=investigating", f"code_b={random.choice(CODE_B)}&channel=hotline"])  # fmt: skip
        self.remember(self.page(f"/complaints/?{f}", "list (filtered)"))

    def search(self) -> None:
        self.remember(self.page(f"/complaints/?q={random.choice(SEARCH_TERMS)}", "search"))

    def case_page(self) -> None:
        if not self.refs:
            return self.case_list()
        self.remember(self.page(random.choice(self.refs), "case page"))

    def workflow_case(self) -> None:
        if not self.cases:
            return self.inbox()
        self.page(random.choice(self.cases), "workflow case page")

    def inbox(self) -> None:
        self.remember(self.page("/workflow/inbox/", "inbox"))

    def top(self) -> None:
        self.page(
            random.choice(["/analytics/", "/analytics/?kind=month", "/analytics/?kind=quarter&axis=C"]), "TOP page"
        )


class HeadOfficeUser(BankUser):
    weight = 30
    kind = "head_office"
    accounts = HO_USERS

    @task(3)
    def t_list(self):
        self.case_list()

    @task(2)
    def t_filtered(self):
        self.case_list_filtered()

    @task(2)
    def t_search(self):
        self.search()

    @task(4)
    def t_case(self):
        self.case_page()

    @task(2)
    def t_wf_case(self):
        self.workflow_case()

    @task(2)
    def t_inbox(self):
        self.inbox()

    @task(2)
    def t_top(self):
        self.top()


class BranchUser(BankUser):
    weight = 50
    kind = "branch"
    accounts = BRANCH_USERS

    @task(4)
    def t_inbox(self):
        self.inbox()

    @task(1)
    def t_mine(self):
        self.remember(self.page("/workflow/mine/", "my cases"))

    @task(2)
    def t_list(self):
        self.case_list()

    @task(1)
    def t_filtered(self):
        self.case_list_filtered()

    @task(1)
    def t_search(self):
        self.search()

    @task(3)
    def t_case(self):
        self.case_page()

    @task(3)
    def t_wf_case(self):
        self.workflow_case()

    @task(1)
    def t_top(self):
        # The TOP page is for managers (branch handlers have no analytics role: 404 by design).
        if self.username.endswith("_manager"):
            self.top()
        else:
            self.inbox()


class IntakeAgent(BankUser):
    weight = 20
    kind = "intake"
    accounts = ["agent"]

    @task(4)
    def t_intake(self):
        if not self.signed_in:
            self.sign_in()
            if not self.signed_in:
                return
        body = {
            "channel": random.choice(CHANNELS),
            "code_a": "A0302",
            "code_b": random.choice(["B030202", "B030203", "B0101"]),
            "code_c": "C03",
            "summary": random.choice(["信用卡年费争议", "手机银行无法登录", "转账到账延迟"]),
            "details": "客户来电反映问题，要求尽快处理。",
            "customer": {"name": "李娜", "title": "ms", "mobile": f"139{random.randrange(10**8):08d}",
                         "home_org": random.choice(["BJ", "SH", "GZ", "SZ", "CD"])},
        }  # fmt: skip
        ctx = self.context()
        headers = {"X-CSRFToken": self.client.cookies.get("csrftoken", ""), "Idempotency-Key": str(uuid.uuid4()),
                   **ctx["headers"]}  # fmt: skip
        with self.client.post("/api/v1/complaints/", json=body, headers=headers, name="intake (API)",
                              catch_response=True, context=ctx) as r:  # fmt: skip
            unsecure(self.client.cookies)
            if r.status_code == 201:
                r.success()
                ref = r.json().get("reference")
                if ref:
                    self.refs = ([f"/complaints/{ref}/"] + self.refs)[:30]
            else:
                r.failure(f"HTTP {r.status_code}")
                if r.status_code in (401, 403):
                    self.signed_in = False

    @task(1)
    def t_case(self):
        self.case_page()

    @task(1)
    def t_search(self):
        self.search()
