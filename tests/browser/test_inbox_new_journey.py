"""New work is not buried (issue 14, inbox): after a case is routed to the branch, the manager
sees the top bar's badge on any page, follows it to the inbox sorted newest first, finds the case
at the top of page 1 marked 新, and the badge is gone on the next page. Desktop and a 390 px phone;
CSP violations fail the test. Screenshots in test-artifacts/inbox-new-*.png."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts import roles
from complaints.models import Complaint
from tests.complaints.factories import ComplaintFactory
from tests.conftest import browser_login
from workflow import services
from workflow.hooks import case_registered
from workflow.services.seen import inbox_seen_mark

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def routed(org_tree, make_user):
    agent = make_user(roles.AGENT, org_tree.ho, username="agent1")
    officer = make_user(roles.HO_OFFICER, org_tree.ho, username="officer1")
    manager = make_user(roles.BRANCH_MANAGER, org_tree.bj, username="manager1")
    earlier = timezone.now() - timedelta(days=3)
    for i in range(26):  # page 1 by deadline is full of older cases
        c = ComplaintFactory(responsible_org=org_tree.bj, created_by=agent, received_at=earlier, summary=f"旧投诉 {i}")
        case_registered(c, actor=agent)
        services.case_route(complaint_id=c.pk, actor=officer)
    inbox_seen_mark(user=manager, inbox="inbox", at=timezone.now())  # the manager looked just now
    new = ComplaintFactory(responsible_org=org_tree.bj, created_by=agent, summary="刚派发的信用卡年费投诉")
    case_registered(new, actor=agent)
    services.case_route(complaint_id=new.pk, actor=officer)
    return Complaint.objects.get(pk=new.pk)


@pytest.mark.parametrize("device", ["page", "phone_page"])
def test_the_badge_leads_to_the_new_case_on_page_1(request, routed, device):
    pg = request.getfixturevalue(device)
    name = "desktop" if device == "page" else "phone"
    browser_login(pg, "manager1")
    badge = pg.locator("#inbox-badge")  # loaded by htmx after the page
    badge.wait_for()
    assert badge.inner_text().endswith("1")
    pg.screenshot(path=str(SHOTS / f"inbox-new-{name}-1-badge.png"))
    badge.click()
    pg.wait_for_url("**/workflow/inbox/?sort=newest")
    first = pg.locator("#wf-cases li.wf-case").first
    assert first.get_attribute("data-case") == str(routed.pk)
    assert pg.locator("#wf-cases li.wf-case.new").count() == 1 and first.locator("[data-new]").is_visible()
    assert pg.evaluate("document.documentElement.scrollWidth") <= pg.viewport_size["width"]
    pg.screenshot(path=str(SHOTS / f"inbox-new-{name}-2-inbox.png"), full_page=False)
    pg.goto(f"{pg.base_url}/")
    pg.wait_for_load_state("networkidle")
    assert pg.locator("#inbox-badge").count() == 0 and pg.locator("[data-badge-slot]").count() == 0
