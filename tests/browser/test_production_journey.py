"""Browser journeys on the production stack: gunicorn behind a TLS proxy, PostgreSQL, Redis,
two Celery workers (default+analytics, transcription with the offline model), production
settings; the bank onboarded with ``load_org`` and ``create_admin`` and its staff setting their
passwords through the one-time links.

An agent registers a complaint and uploads the call, which the transcription worker finishes;
head office routes it; the branch manager assigns it; the handler investigates and drafts on a
phone; head office approves; the branch responds and closes. Head office flags the call, and a
listening manager plays it on a phone. Head office then finds the case on the TOP page, drills
down and exports it.

Runs only with DATABASE_URL on PostgreSQL and Redis on 127.0.0.1:6379 (its own database /7).
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from pathlib import Path

import pytest

from tests.browser.production_stack import production_stack, stack_unavailable
from tests.browser.steps import act, pick_code
from tests.conftest import _watch_csp, browser_login
from tests.recordings.conftest import tts
from tests.test_production import prod_env, prod_site  # noqa: F401  (module-scoped fixtures)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(bool(stack_unavailable()), reason=stack_unavailable() or ""),
]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "Voc-journey-2026!"

DIRECTORY = """\
organisations:
  - {code: HO, name_zh: 总行, name_en: Head Office, kind: head_office}
  - {code: BJ, name_zh: 北京分行, name_en: Beijing Branch, kind: branch, parent: HO}
  - {code: SH, name_zh: 上海分行, name_en: Shanghai Branch, kind: branch, parent: HO}
"""
USERS = """\
username,name,email,org,roles,active
agent_li,李坐席,,HO,agent,
ho_wang,王审核,,HO,ho_officer,
ho_zhao,赵审批,,HO,ho_approver,
bj_chen,陈主管,,BJ,branch_manager,
bj_hu,胡经办,,BJ,branch_handler,
bj_lin,林收听,,BJ,listening_manager,
"""
CALL = "Hello, I want to complain about the annual fee on my credit card. Please refund the fee to me."


@pytest.fixture(scope="module")
def stack(prod_site, tmp_path_factory):  # noqa: F811
    with production_stack(prod_site, tmp_path_factory.mktemp("stack")) as s:
        yield s


@pytest.fixture(scope="module")
def bank(stack, browser, tmp_path_factory):
    """Onboarded with the production commands; each listed user then opens their one-time link
    and chooses a password, as the bank's staff will. Returns the used links."""
    folder = tmp_path_factory.mktemp("onboarding")
    (folder / "directory.yaml").write_text(DIRECTORY, encoding="utf-8")
    (folder / "users.csv").write_text(USERS, encoding="utf-8")
    links = folder / "links.tsv"
    stack.manage(
        "load_org", str(folder / "directory.yaml"), str(folder / "users.csv"),
        "--links-file", str(links), "--base-url", stack.url,
    )  # fmt: skip
    stack.manage(
        "create_admin", "--noinput", "--username", "chief", "--email", "chief@bank.example",
        DJANGO_SUPERUSER_PASSWORD=PASSWORD,
    )  # fmt: skip
    used = dict(line.split("\t") for line in links.read_text().splitlines())
    ctx = browser.new_context(locale="zh-CN", ignore_https_errors=True)
    pg = ctx.new_page()
    pg.set_default_timeout(20000)
    for username, link in used.items():
        assert link.startswith(f"{stack.url}/accounts/password/set/")
        pg.goto(link)
        pg.fill("#id_new_password1", PASSWORD)
        pg.fill("#id_new_password2", PASSWORD)
        with pg.expect_navigation():
            pg.click("main form button[type=submit]")
        assert pg.url == f"{stack.url}/login/", (username, pg.inner_text("main"))
    ctx.close()
    return used


@pytest.fixture
def open_as(browser, stack):
    """A page on the stack's https address (desktop or phone), signed in unless username is
    empty; every context fails the test on a Content-Security-Policy report."""
    contexts, violations = [], []

    def open_as(username: str, *, phone: bool = False):
        size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
        ctx = browser.new_context(
            viewport=size, is_mobile=phone, has_touch=phone, locale="zh-CN", ignore_https_errors=True
        )
        contexts.append(ctx)
        pg = ctx.new_page()
        pg.set_default_timeout(20000)
        pg.base_url = stack.url
        violations.append(_watch_csp(ctx, pg))
        if username:
            browser_login(pg, username, PASSWORD)
        return pg

    yield open_as
    for ctx in contexts:
        ctx.close()
    assert [v for found in violations for v in found] == [], "Content-Security-Policy violations"


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout}s: {what}")


def _option_value(pg, select: str, text: str) -> str:
    return pg.locator(f"{select} option", has_text=text).first.get_attribute("value")


def test_stack_is_healthy_links_work_once_and_cookies_are_secure(stack, bank, open_as):
    status, health = stack.health()
    assert status == 200, health
    assert health["checks"]["workers"] == {"status": "ok", "queues": {"default": 1, "transcription": 1, "analytics": 1}}

    # Static files under their manifest names, compressed; source maps as they are (not worth
    # compressing at every deploy: only developer tools fetch them).
    manifest = json.loads((stack.var / "staticfiles" / "staticfiles.json").read_text())["paths"]
    https = {"X-Forwarded-Proto": "https", "Accept-Encoding": "gzip, br"}
    chart = next(k for k in manifest if k.startswith("vendor/chart") and k.endswith(".js"))
    status, headers, _ = stack.site.get(f"/static/{manifest[chart]}", **https)
    assert status == 200 and headers.get("content-encoding") == "br", headers
    source_map = next(k for k in manifest if k.endswith(".js.map"))
    status, headers, body = stack.site.get(f"/static/{manifest[source_map]}", **https)
    assert status == 200 and "content-encoding" not in headers and body.lstrip().startswith(b"{"), headers

    # Every listed user chose a password through their link (the bank fixture); a link works once.
    assert set(bank) == {line.split(",")[0] for line in USERS.splitlines()[1:]}
    pg = open_as("")
    pg.goto(bank["agent_li"])
    assert "此链接无效或已过期" in pg.inner_text("main")

    # A customer files a complaint on the public web form from a phone (anonymous, over https:
    # the CSRF check sees the proxy's scheme; the per-client limit its X-Forwarded-For).
    customer = open_as("", phone=True)
    customer.goto(f"{stack.url}/complaints/public/")
    customer.fill("#id_name", "吴芳")
    customer.check("input[name=title][value=ms]")
    customer.fill("#id_mobile", "13700001111")
    # Any product but the card-fee code whose single case the TOP check below counts.
    products = customer.locator("#id_product option").evaluate_all("os => os.map(o => o.value)")
    customer.select_option("#id_product", next(v for v in products if v and not v.startswith("B0302")))
    customer.fill("#id_summary", "网银转账失败")
    with customer.expect_navigation():
        customer.click("main form button[type=submit]")
    assert re.fullmatch(r"VOC-\d{4}-\d{7}", customer.inner_text("#public-reference"))
    assert customer.evaluate("document.documentElement.scrollWidth") <= 390

    # Signed in over https behind the proxy: the session and CSRF cookies are Secure.
    admin = open_as("chief")
    cookies = {c["name"]: c for c in admin.context.cookies()}
    assert cookies["sessionid"]["secure"] and cookies["sessionid"]["httpOnly"]
    assert cookies["csrftoken"]["secure"]
    response = admin.goto(f"{stack.url}/admin/")
    assert response.status == 200 and "站点管理" in admin.inner_text("body")
    # The admin pages name the site's icon too (else the browser asks for /favicon.ico: a 404).
    icon = admin.get_attribute("link[rel=icon]", "href")
    assert icon.startswith("/static/favicon.") and admin.request.get(f"{stack.url}{icon}").status == 200


def test_case_from_intake_with_a_call_to_closed_then_listened_and_reported(stack, bank, open_as, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    wav = tts(tmp_path / "fee-call.wav", CALL)

    # 1. The agent registers the complaint and uploads the call; the worker transcribes it.
    agent = open_as("agent_li")
    agent.click('a[data-key="intake"]')
    agent.wait_for_selector("#intake-form")
    agent.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")
    agent.keyboard.type("139 0011 2233")
    agent.keyboard.press("Tab")
    agent.fill("#id_customer_name", "周敏")
    agent.check("input[name=customer_title][value=ms]")
    agent.click("#intake-form details summary")
    agent.select_option("#id_home_org", _option_value(agent, "#id_home_org", "北京分行"))
    pick_code(agent, "code_a", "A0302", "A0302")
    pick_code(agent, "code_b", "B030202", "B030202")
    pick_code(agent, "code_c", "C03", "C03")
    agent.fill("#id_summary", "信用卡年费争议")
    agent.fill("#id_details", "客户称未激活的信用卡被扣年费")
    agent.click("#submit-intake")
    agent.wait_for_selector("#case-reference")
    reference = agent.inner_text("#case-reference")
    assert re.fullmatch(r"VOC-\d{4}-\d{7}", reference), reference
    assert "北京分行" in agent.inner_text("#responsible-org")

    agent.set_input_files("form.rec-upload input[type=file]", str(wav))
    agent.select_option("form.rec-upload select[name=language]", "en")
    agent.click("form.rec-upload button[type=submit]")
    agent.wait_for_selector(".rec-row[data-status]")
    agent.wait_for_selector('.rec-row[data-status="done"]', timeout=150_000)  # htmx polls the status
    assert agent.inner_text(".rec-row [data-rec-status]") == "已完成"
    transcript = agent.inner_text(".rec-segments").lower()
    assert "annual fee" in transcript and "credit card" in transcript, transcript
    agent.screenshot(path=str(SHOTS / "production-case-transcribed.png"), full_page=True)

    # 2. Head office routes it from the inbox.
    ho = open_as("ho_wang")
    ho.goto(f"{stack.url}/workflow/inbox/")
    href = ho.locator("a.ref", has_text=reference).get_attribute("href")
    case_id = int(re.search(r"/workflow/case/(\d+)/", href).group(1))
    act(ho, case_id, "route")

    # 3. The branch manager accepts and assigns the handler.
    manager = open_as("bj_chen")
    act(manager, case_id, "accept", {"reason": "已致电客户，确认诉求"})
    handler_value = _option_value(manager, 'select[name="assign-handler"]', "胡经办")
    act(manager, case_id, "assign", selects={"handler": handler_value})

    # 4. The handler investigates and drafts the decision on a phone.
    phone = open_as("bj_hu", phone=True)
    phone.goto(f"{stack.url}/workflow/mine/")
    assert phone.locator(f'li[data-case="{case_id}"]').is_visible()
    act(phone, case_id, "start_investigation")
    act(
        phone,
        case_id,
        "draft_decision",
        {"text": "经核实，卡片未激活即收取年费，拟全额退还。", "redress_amount": "200", "root_cause": "C0202"},
        {"proposed_result": "upheld", "redress_type": "refund"},
    )
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, f"page scrolls sideways at phone width ({width}px)"
    phone.screenshot(path=str(SHOTS / "production-draft-phone.png"), full_page=True)
    act(phone, case_id, "submit_for_review")

    # 5. Head office reviews and approves; the branch responds and closes.
    approver = open_as("ho_zhao")
    act(approver, case_id, "approve_decision")
    act(phone, case_id, "respond", {"reason": "已电话告知客户"})
    act(manager, case_id, "close")
    manager.goto(f"{stack.url}/workflow/case/{case_id}/")
    timeline = "\n".join(manager.locator("#wf-timeline .wf-event").all_inner_texts())
    for step in ("登记投诉", "派发分行", "受理", "分派经办人", "开始调查", "拟定处理意见", "提交总行审核",
                 "审核通过", "已答复客户", "办结"):  # fmt: skip
        assert step in timeline, step
    manager.goto(f"{stack.url}/complaints/{reference}/")
    assert "已办结" in manager.inner_text("main")

    # 6. Head office flags the call; a listening manager plays it on a phone.
    ho.goto(f"{stack.url}/complaints/{reference}/")
    ho.click(".rec-row a.name")
    ho.fill("#id_note", "典型：未激活卡片收取年费")
    with ho.expect_navigation():
        ho.click("text=标记并推送")
    assert "典型录音" in ho.inner_text("h1")

    listener = open_as("bj_lin", phone=True)
    listener.goto(f"{stack.url}/recordings/listen/")
    listener.click("[data-inbox-item]")
    listener.wait_for_selector("[data-player] audio")
    assert "典型：未激活卡片收取年费" in listener.inner_text("main")
    listener.evaluate("document.querySelector('[data-player] audio').play().catch(() => {})")
    played = _wait(
        lambda: listener.evaluate(
            "(() => { const a = document.querySelector('[data-player] audio');"
            " return a.currentTime > 0.5 ? {t: a.currentTime, d: a.duration, src: a.currentSrc} : null })()"
        ),
        20,
        "the flagged recording plays",
    )
    assert played["d"] > 3 and "/audio/redacted/" in played["src"], played
    assert listener.evaluate("document.documentElement.scrollWidth") <= 390
    listener.click("[data-mark-listened]")
    listener.wait_for_selector("[data-listened]")
    listener.screenshot(path=str(SHOTS / "production-listen-phone.png"), full_page=True)
    with listener.expect_navigation():
        listener.click("header form[action='/logout/'] button")
    assert listener.url == f"{stack.url}/login/"
    listener.goto(f"{stack.url}/recordings/listen/")  # signed out: back to the login page
    assert listener.url.startswith(f"{stack.url}/login/")

    # 7. Head office finds the case on the TOP page (the analytics worker refreshed the rollup),
    #    drills down and exports the cases.
    ho.goto(f"{stack.url}/")
    ho.click('a[data-key="analytics_top"]')
    ho.select_option("select[name=level]", "3")

    def top_row():
        ho.click("#report-filters button[type=submit]")
        row = ho.locator('#top-table tr[data-key="B030202"]')
        return row.inner_text() if row.count() else None

    assert _wait(top_row, 30, "B030202 on the TOP page")
    ho.screenshot(path=str(SHOTS / "production-top.png"), full_page=True)
    ho.locator('#top-table tr[data-key="B030202"] a').first.click()
    assert ho.locator('[data-testid="case-count"]').inner_text() == "1"
    assert reference in ho.inner_text("main")

    with ho.expect_response(re.compile(r"/analytics/export/")) as response_info, ho.expect_download() as download:
        ho.click("#export-csv")
    headers = response_info.value.all_headers()
    assert headers["content-type"].startswith("text/csv")
    assert "attachment" in headers["content-disposition"] and ".csv" in headers["content-disposition"]
    assert "no-store" in headers["cache-control"]
    assert headers["strict-transport-security"] == "max-age=3600"
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 1 and len(rows[0]) == len(header), rows  # the one case drilled into
    assert reference in rows[0] and "B030202" in rows[0], rows
    assert any(v in ("BJ", "北京分行") for v in rows[0]), rows
