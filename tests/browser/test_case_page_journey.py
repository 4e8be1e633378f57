"""One case page (issue 13): from an inbox row, from a notification and from search, a branch
manager lands on the same page — workflow:case — with the recordings and the timeline on it.
The old address (complaints:detail) redirects there. CSP violations fail the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from accounts import roles
from complaints.models import Complaint
from tests.complaints.factories import ComplaintFactory
from tests.conftest import _watch_csp, browser_login
from tests.recordings.conftest import make_recording
from workflow import services
from workflow.hooks import case_registered

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def case(org_tree, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    agent = make_user(roles.AGENT, org_tree.ho, username="agent1")
    officer = make_user(roles.HO_OFFICER, org_tree.ho, username="officer1")
    make_user(roles.BRANCH_MANAGER, org_tree.bj, username="manager1")
    c = ComplaintFactory(responsible_org=org_tree.bj, created_by=agent, summary="信用卡年费争议")
    case_registered(c, actor=agent)
    services.case_route(complaint_id=c.pk, actor=officer)  # notifies the branch's managers
    for tag in ("a", "b"):
        make_recording(c, tag=tag)
    return Complaint.objects.get(pk=c.pk)


@pytest.fixture
def manager(browser, live_server, case):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    pg = ctx.new_page()
    pg.set_default_timeout(15000)
    pg.base_url = live_server.url
    violations = _watch_csp(ctx, pg)
    browser_login(pg, "manager1")
    yield pg
    ctx.close()
    assert violations == [], "Content-Security-Policy violations in the browser console"


def _is_the_one_case_page(pg, case) -> None:
    pg.wait_for_url(f"{pg.base_url}/workflow/case/{case.pk}/")
    assert pg.inner_text("#case-reference") == case.reference
    assert pg.locator("#wf-clock").is_visible() and pg.locator("#wf-actions").is_visible()
    assert pg.locator("[data-rec-panel] .rec-row").count() == 2
    timeline = pg.inner_text("#wf-timeline")
    assert "登记投诉" in timeline and "派发分行" in timeline and "上传通话录音" in timeline
    assert case.customer.salutation in pg.inner_text("#customer-salutation")


def test_inbox_notification_and_search_open_the_same_case_page(manager, case):
    pg = manager
    # 1. From an inbox row.
    pg.goto(f"{pg.base_url}/workflow/inbox/")
    pg.locator("a.ref", has_text=case.reference).click()
    _is_the_one_case_page(pg, case)
    pg.screenshot(path=str(SHOTS / "one-case-page.png"), full_page=True)

    # 2. From the notification the routing sent.
    pg.goto(f"{pg.base_url}/accounts/notifications/")
    pg.locator(".notification-list a").first.click()
    _is_the_one_case_page(pg, case)

    # 3. From search by reference.
    pg.goto(f"{pg.base_url}/complaints/")
    pg.fill("#filters input[name=q]", case.reference)
    pg.click("#filters button[type=submit]")
    pg.locator("#case-table a", has_text=case.reference).click()
    _is_the_one_case_page(pg, case)

    # The old address (bookmarks, earlier e-mails) lands on the same page.
    pg.goto(f"{pg.base_url}/complaints/{case.reference}/")
    _is_the_one_case_page(pg, case)
