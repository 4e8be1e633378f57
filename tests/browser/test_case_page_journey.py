"""One case page serves every role (issue 13): each role that may see a Beijing case reaches it from
an inbox row, from a notification and from search, and lands on the same page - workflow:case,
the same panels in the same order - with the recordings and the timeline on it. The old address
(complaints:detail) redirects there. One browser and the one live server for all roles; CSP
violations fail the test. Screenshots: test-artifacts/one-case-page-<who>.png.

The notifications are the ones the product sends: routing tells the branch manager, assignment
the handler, a second extension head office's approvers, submitting a draft head office's
officers, flagging a typical recording (典型录音) the listening managers - theirs opens the
recording, which links to its case. Nothing in the product notifies an agent, an auditor or an
administrator about a case, so they get one through the workflow's own sender
(workflow.services.notify.notify, which every case event uses: same link, same target)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from accounts import roles
from accounts.models import User
from complaints.models import Complaint
from recordings.models import CallRecording
from recordings.services.listening import recording_flag
from tests.complaints.factories import ComplaintFactory
from tests.conftest import PINNED_TODAY, _watch_csp, browser_login
from tests.recordings.conftest import make_recording
from workflow import services
from workflow.hooks import case_registered
from workflow.services import notify

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Every role, where it works: (role, organisation in org_tree). accounts.roles has no other role
# (test_every_role_walks_the_journey).
PEOPLE = {
    "agent": (roles.AGENT, "ho"),
    "officer": (roles.HO_OFFICER, "ho"),
    "approver": (roles.HO_APPROVER, "ho"),
    "auditor": (roles.AUDITOR, "ho"),
    "ho_listener": (roles.LISTENING_MANAGER, "ho"),
    "admin": (roles.ADMIN, "ho"),
    "manager": (roles.BRANCH_MANAGER, "bj"),
    "handler": (roles.BRANCH_HANDLER, "bj"),
    "bj_listener": (roles.LISTENING_MANAGER, "bj"),
}
# Whose notification opens the recording first (the case is one click further).
VIA_RECORDING = {"ho_listener", "bj_listener"}
# Whom nothing in the product notifies about a case.
TOLD_DIRECTLY = ("agent", "auditor", "admin")


def test_every_role_walks_the_journey():
    assert {role for role, _org in PEOPLE.values()} == set(roles.ROLE_LABELS)


@pytest.fixture
def case(org_tree, make_user, settings, tmp_path, pin_clock):
    pin_clock(PINNED_TODAY)
    settings.MEDIA_ROOT = tmp_path / "media"
    who = {name: make_user(role, getattr(org_tree, org), username=name) for name, (role, org) in PEOPLE.items()}
    User.objects.filter(pk=who["admin"].pk).update(is_staff=True, is_superuser=True)  # as seed_demo makes one
    c = ComplaintFactory(responsible_org=org_tree.bj, created_by=who["agent"], summary="信用卡年费争议")
    case_registered(c, actor=who["agent"])
    pk, handler, manager = c.pk, who["handler"], who["manager"]
    services.case_route(complaint_id=pk, actor=who["officer"])  # -> the branch's managers
    services.case_accept(complaint_id=pk, actor=manager)
    services.case_assign(complaint_id=pk, actor=manager, handler_id=handler.pk)  # -> the handler
    services.extension_request(complaint_id=pk, actor=handler, reason="需调取交易流水")
    services.extension_decide(request_id=c.extension_requests.get().pk, actor=manager, approve=True)
    services.extension_request(  # the second extension -> head office's approvers
        complaint_id=pk, actor=handler, reason="等待发卡机构回函", customer_informed=True
    )
    services.case_start_investigation(complaint_id=pk, actor=handler)
    services.case_draft_decision(
        complaint_id=pk, actor=handler, text="经核实，退还年费。", proposed_result="upheld", root_cause="C0202"
    )
    services.case_submit_for_review(complaint_id=pk, actor=handler)  # -> head office's officers
    c = Complaint.objects.get(pk=pk)
    for tag in ("a", "b"):
        make_recording(c, tag=tag)
    recording_flag(  # -> the listening managers of the case's branch and of head office
        actor=who["officer"],
        recording=CallRecording.objects.filter(complaint=c).first(),
        note="年费解释不清的典型通话",
        audience_roles=[roles.LISTENING_MANAGER],
    )
    notify.notify(
        [who[name] for name in TOLD_DIRECTLY],
        complaint=c,
        kind="case_shared",
        title=f"请查阅投诉：{c.reference}",
        key=f"journey:{pk}",
    )
    return c


def _open(browser, live_server, username: str):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    pg = ctx.new_page()
    pg.set_default_timeout(15000)
    pg.base_url = live_server.url
    violations = _watch_csp(ctx, pg)
    browser_login(pg, username)
    return ctx, pg, violations


def _the_one_case_page(pg, case) -> list[str]:
    """Assert this is the one case page with its recordings and timeline; return its panels in order."""
    pg.wait_for_url(f"{pg.base_url}{reverse('workflow:case', args=[case.pk])}")
    assert pg.inner_text("#case-reference") == case.reference
    assert pg.locator("#wf-clock").is_visible()
    assert pg.locator("[data-rec-panel] .rec-row").count() == 2
    timeline = pg.inner_text("#wf-timeline")
    assert "登记投诉" in timeline and "派发分行" in timeline and "上传通话录音" in timeline
    assert case.customer.salutation in pg.inner_text("#customer-salutation")
    panels = pg.eval_on_selector_all("main section", "els => els.map(e => e.id || e.className)")
    assert {"wf-clock", "wf-timeline"} <= set(panels), panels
    return panels


@pytest.mark.parametrize("who", list(PEOPLE))
def test_inbox_notification_and_search_open_the_same_case_page(browser, live_server, case, who):
    ctx, pg, violations = _open(browser, live_server, who)
    try:
        # 1. From an inbox row.
        pg.goto(f"{pg.base_url}{reverse('workflow:inbox')}")
        pg.locator("a.ref", has_text=case.reference).click()
        panels = _the_one_case_page(pg, case)
        pg.screenshot(path=str(SHOTS / f"one-case-page-{who}.png"), full_page=True)

        # 2. From a notification about it.
        pg.goto(f"{pg.base_url}{reverse('accounts:notifications')}")
        pg.locator(".notification-list a", has_text=case.reference).first.click()
        if who in VIA_RECORDING:
            pg.wait_for_url("**/recordings/**")
            pg.locator(f'a[href="{reverse("workflow:case", args=[case.pk])}"]').first.click()
        assert _the_one_case_page(pg, case) == panels

        # 3. From search by reference.
        pg.goto(f"{pg.base_url}{reverse('complaints:list')}")
        pg.fill("#filters input[name=q]", case.reference)
        pg.click("#filters button[type=submit]")
        pg.locator("#case-table a", has_text=case.reference).click()
        assert _the_one_case_page(pg, case) == panels

        # The old address (bookmarks, earlier e-mails) lands on the same page.
        pg.goto(f"{pg.base_url}{reverse('complaints:detail', args=[case.reference])}")
        assert _the_one_case_page(pg, case) == panels
    finally:
        ctx.close()
    assert violations == [], "Content-Security-Policy violations in the browser console"
