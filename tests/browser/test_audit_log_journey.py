"""Journey (issue 14, item 8): a head-office auditor on a phone reads the audit trail and the
play log: actions in words, the revealed customer masked with the case it was revealed from,
details as fields; filters by person, action, local days and case without the page getting
wider than the phone. Screenshots in test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.models import AuditAction, User
from complaints.services import CustomerInput, complaint_register, customer_reveal
from recordings.services import listening_event_record
from tests.conftest import browser_login
from tests.recordings.conftest import make_recording

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _named(user, name: str):
    User.objects.filter(pk=user.pk).update(display_name=name)
    return User.objects.get(pk=user.pk)


def _fits(pg) -> None:
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390


def test_auditor_reads_and_filters_the_logs_on_a_phone(phone_page, org_tree, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    _named(make_user(roles.AUDITOR, org_tree.ho, username="audrey"), "审计员王敏")
    officer = _named(make_user(roles.HO_OFFICER, org_tree.ho, username="officer1"), "李强")
    agent = make_user(roles.AGENT, org_tree.ho, username="agent1")
    case = complaint_register(
        actor=agent,
        channel="hotline",
        code_a="A0302",
        code_b="B030202",
        code_c="C03",
        summary="信用卡年费争议",
        details="客户称未激活即被收取年费。",
        customer=CustomerInput(name="张伟", title="mr", mobile="13812345678", home_org=org_tree.bj_cy),
    )
    customer_reveal(actor=officer, customer=case.customer, complaint=case)
    rec = make_recording(case, tag="j")
    listening_event_record(user=officer, recording=rec, version="original")
    pg = phone_page
    browser_login(pg, "audrey")

    pg.goto(pg.base_url + reverse("accounts:audit_log"))
    table = pg.inner_text("#audit-table")
    assert str(AuditAction.CUSTOMER_UNMASK.label) in table and "customer.unmask" not in table
    assert "张先生 138****5678" in table and "13812345678" not in pg.content()
    assert case.reference in table and "李强" in table and "officer1" not in table
    _fits(pg)
    pg.screenshot(path=str(SHOTS / "audit-log-phone.png"), full_page=True)

    # Filter: the officer, revealing numbers, today (the bank's day), this case.
    pg.select_option("#id_actor", str(officer.pk))
    pg.select_option("#id_action", AuditAction.CUSTOMER_UNMASK.value)
    today = timezone.localdate().isoformat()
    pg.fill("#id_date_from", today)
    pg.fill("#id_date_to", today)
    pg.fill("#id_case", case.reference)
    with pg.expect_navigation():
        pg.click(".trail-filters button[type=submit]")
    assert pg.locator("#audit-table tbody tr[data-event]").count() == 1
    pg.click(f"#audit-table a:has-text('{case.reference}')")
    pg.wait_for_url(f"**/workflow/case/{case.pk}/")
    _fits(pg)

    pg.goto(f"{pg.base_url}/recordings/plays/?case={case.reference}")
    plays = pg.inner_text("#play-table")
    assert "李强" in plays and case.reference in plays and f"#{rec.pk}" in plays
    _fits(pg)
    pg.screenshot(path=str(SHOTS / "play-log-phone.png"), full_page=True)
