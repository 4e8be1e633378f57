"""New approvals are not buried (issue 14): a draft reaches head office's review after the approver
last opened 审批队列; the top bar's 新审批 badge leads to the queue newest first, the draft is the
first row marked 新 (by deadline it is behind 26 older ones), and the badge is gone afterwards.
Desktop and a 390 px phone (the top bar holds both badges without overflow); CSP violations fail
the test. Screenshots in test-artifacts/approvals-new-*.png."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts import roles
from complaints.models import Complaint
from tests.complaints.factories import ComplaintFactory
from tests.conftest import browser_login
from workflow.hooks import case_registered
from workflow.services.seen import inbox_seen_mark

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _in_review(case, when) -> None:
    """Fixture shortcut: the case waits for head office's review since ``when``."""
    Complaint.objects.filter(pk=case.pk).update(status="ho_review", updated_at=when)


@pytest.fixture
def reviewed(org_tree, make_user):
    agent = make_user(roles.AGENT, org_tree.ho, username="agent1")
    approver = make_user(roles.HO_APPROVER, org_tree.ho, username="approver1")
    earlier = timezone.now() - timedelta(days=3)
    for i in range(26):
        c = ComplaintFactory(responsible_org=org_tree.bj, created_by=agent, received_at=earlier, summary=f"旧草稿 {i}")
        case_registered(c, actor=agent)
        _in_review(c, earlier)
    inbox_seen_mark(user=approver, inbox="inbox", at=timezone.now())
    inbox_seen_mark(user=approver, inbox="approvals", at=timezone.now())  # looked just now
    new = ComplaintFactory(responsible_org=org_tree.sh, created_by=agent, summary="上海分行提交的年费处理意见")
    case_registered(new, actor=agent)
    _in_review(new, timezone.now() + timedelta(seconds=1))
    return Complaint.objects.get(pk=new.pk)


@pytest.mark.parametrize("device", ["page", "phone_page"])
def test_the_approvals_badge_leads_to_the_new_draft_first(request, reviewed, device):
    pg = request.getfixturevalue(device)
    name = "desktop" if device == "page" else "phone"
    browser_login(pg, "approver1")
    badge = pg.locator("#approvals-badge")  # loaded by htmx after the page
    badge.wait_for()
    assert badge.inner_text().endswith("1")
    pg.wait_for_load_state("networkidle")
    assert pg.evaluate("document.documentElement.scrollWidth") <= pg.viewport_size["width"]
    pg.screenshot(path=str(SHOTS / f"approvals-new-{name}-1-badge.png"))
    badge.click()
    pg.wait_for_url("**/workflow/approvals/?sort=newest")
    rows = pg.locator("#wf-reviews li.wf-case")
    assert rows.first.get_attribute("data-case") == str(reviewed.pk)
    assert pg.locator("#wf-reviews li.wf-case.new").count() == 1 and rows.first.locator("[data-new]").is_visible()
    assert pg.evaluate("document.documentElement.scrollWidth") <= pg.viewport_size["width"]
    pg.screenshot(path=str(SHOTS / f"approvals-new-{name}-2-queue.png"), full_page=False)
    pg.goto(f"{pg.base_url}/")
    pg.wait_for_load_state("networkidle")
    assert pg.locator("#approvals-badge").count() == 0
