"""The audit page reads as people speak (issue 14, item 8): actions in words, the object and
its case named and linked, the event's data as labelled fields with numbers masked, filters by
person, action, local date range and case, keyset pages; only head-office auditors read it."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from accounts.models import AuditAction, AuditEvent, User
from accounts.selectors import AuditFilters, audit_events_for
from accounts.services import audit_record
from complaints.services import CustomerInput, complaint_register, customer_reveal

pytestmark = pytest.mark.django_db

MOBILE = "13812345678"
TZ = ZoneInfo(settings.TIME_ZONE)


@pytest.fixture
def auditor(org_tree, make_user):
    user = make_user(roles.AUDITOR, org_tree.ho, username="audrey")
    User.objects.filter(pk=user.pk).update(display_name="审计员王敏")
    return User.objects.get(pk=user.pk)


@pytest.fixture
def officer(org_tree, make_user):
    user = make_user(roles.HO_OFFICER, org_tree.ho, username="officer_li")
    User.objects.filter(pk=user.pk).update(display_name="李强")
    return User.objects.get(pk=user.pk)


@pytest.fixture
def case(org_tree, make_user):
    agent = make_user(roles.AGENT, org_tree.ho, username="agent1")
    return complaint_register(
        actor=agent,
        channel="hotline",
        code_a="A0302",
        code_b="B030202",
        code_c="C03",
        summary="信用卡年费争议",
        details="客户称未激活即被收取年费。",
        customer=CustomerInput(name="张伟", title="mr", mobile=MOBILE, home_org=org_tree.bj_cy),
    )


def _page(client, user, **params) -> str:
    client.force_login(user)
    response = client.get(reverse("accounts:audit_log"), params)
    assert response.status_code == 200
    return response.content.decode()


def _rows(body: str) -> list[str]:
    return re.findall(r'<tr data-event="(\d+)"', body)


def test_the_action_is_named_in_words_not_by_its_code(client, auditor, officer):
    audit_record(actor=officer, action=AuditAction.PII_REKEY)
    body = _page(client, auditor)
    assert f">{AuditAction.PII_REKEY.label}<" in body
    assert ">pii.rekey<" not in body  # the code only as the cell's title


def test_an_old_row_with_an_unknown_action_shows_what_was_stored(client, auditor):
    AuditEvent.objects.create(action="unmask_view", object_type="complaints.customer", object_id="7")
    body = _page(client, auditor)
    assert ">unmask_view<" in body
    assert "complaints.customer 7" not in body


def test_a_complaint_object_is_its_reference_linked_to_the_case_page(client, auditor, officer, case):
    audit_record(actor=officer, action=AuditAction.COMPLAINT_LINK_REPEAT, obj=case, repeat_of="VOC-2026-0000001")
    body = _page(client, auditor)
    assert f'<a href="{reverse("workflow:case", args=[case.pk])}">{case.reference}</a>' in body
    assert f"complaints.complaint {case.pk}" not in body
    assert "data-case" not in body  # the case is the object: not named twice
    assert "<dt>重复于</dt><dd>VOC-2026-0000001</dd>" in body


def test_a_reveal_names_the_masked_customer_and_the_case_it_was_asked_from(client, auditor, officer, case):
    customer_reveal(actor=officer, customer=case.customer, complaint=case)
    body = _page(client, auditor)
    row = body[body.index('<tr data-event="') :]
    assert "张先生" in row and "138****5678" in row and MOBILE not in body
    assert f'<a href="{reverse("workflow:case", args=[case.pk])}">{case.reference}</a>' in row
    assert "<dt>字段</dt><dd>手机号、证件号</dd>" in row
    assert "complaints.customer" not in body and "{" not in row.split("</tr>")[0]  # no dict text


def test_details_are_fields_with_numbers_masked(client, auditor, officer):
    audit_record(
        actor=officer, action=AuditAction.RECORDING_REDACTION_RELEASE, held_for=f"客户说了{MOBILE}", extra=True
    )
    body = _page(client, auditor)
    assert '<dl class="fields">' in body
    assert "<dt>暂缓原因</dt><dd>客户说了138****5678</dd>" in body
    assert "<dt>extra</dt><dd>是</dd>" in body  # an unknown key as stored, its value in words
    assert MOBILE not in body and "held_for" not in body


def test_people_are_named_not_by_username(client, auditor, officer):
    audit_record(actor=officer, action=AuditAction.PII_REKEY)
    body = _page(client, auditor)
    assert "<td>李强</td>" in body
    assert "李强（总行）" in body  # the person picker: name and organisation
    assert "officer_li" not in body


def test_filter_by_person(client, auditor, officer):
    mine = audit_record(actor=officer, action=AuditAction.PII_REKEY)
    audit_record(actor=auditor, action=AuditAction.PII_REKEY)
    assert _rows(_page(client, auditor, actor=officer.pk)) == [str(mine.pk)]


def test_filter_by_action(client, auditor, officer):
    wanted = audit_record(actor=officer, action=AuditAction.CUSTOMER_LOOKUP)
    audit_record(actor=officer, action=AuditAction.PII_REKEY)
    body = _page(client, auditor, action=AuditAction.CUSTOMER_LOOKUP.value)
    assert _rows(body) == [str(wanted.pk)]
    assert f'<option value="{AuditAction.CUSTOMER_LOOKUP.value}" selected>' in body


def test_filter_by_local_days(client, auditor, officer):
    def at(stamp: dt.datetime) -> AuditEvent:
        with time_machine.travel(stamp, tick=False):
            return audit_record(actor=officer, action=AuditAction.PII_REKEY)

    # 00:30 on 7 December in Beijing is still 6 December in UTC: it belongs to the 7th.
    early_7th = at(dt.datetime(2026, 12, 7, 0, 30, tzinfo=TZ))
    late_6th = at(dt.datetime(2026, 12, 6, 23, 30, tzinfo=TZ))
    late_8th = at(dt.datetime(2026, 12, 8, 23, 59, tzinfo=TZ))
    at(dt.datetime(2026, 12, 9, 0, 0, tzinfo=TZ))
    assert _rows(_page(client, auditor, date_from="2026-12-07", date_to="2026-12-07")) == [str(early_7th.pk)]
    assert _rows(_page(client, auditor, date_from="2026-12-07", date_to="2026-12-08")) == [
        str(late_8th.pk),
        str(early_7th.pk),
    ]
    assert _rows(_page(client, auditor, date_to="2026-12-06")) == [str(late_6th.pk)]
    assert "结束日期不能早于开始日期" in _page(client, auditor, date_from="2026-12-08", date_to="2026-12-07")


def test_filter_by_case(client, auditor, officer, case, org_tree, make_user):
    other_agent = make_user(roles.AGENT, org_tree.ho, username="agent2")
    other = complaint_register(
        actor=other_agent,
        channel="hotline",
        code_a="A0302",
        code_b="B030202",
        code_c="C03",
        summary="另一件",
        details="另一位客户。",
        customer=CustomerInput(name="王芳", title="ms", mobile="13900001111", home_org=org_tree.bj_cy),
    )
    on_case = audit_record(actor=officer, action=AuditAction.COMPLAINT_LINK_REPEAT, obj=case, repeat_of="x")
    customer_reveal(actor=officer, customer=case.customer, complaint=case)
    reveal = AuditEvent.objects.latest("id")
    customer_reveal(actor=officer, customer=other.customer, complaint=other)
    audit_record(actor=officer, action=AuditAction.COMPLAINT_LINK_REPEAT, obj=other, repeat_of="x")
    audit_record(actor=officer, action=AuditAction.PII_REKEY)
    body = _page(client, auditor, case=case.reference.lower())
    assert _rows(body) == [str(reveal.pk), str(on_case.pk)]
    assert _rows(_page(client, auditor, case="VOC-2026-9999999")) == []


def test_pages_follow_each_other_by_keyset(client, auditor, officer):
    events = [audit_record(actor=officer, action=AuditAction.PII_REKEY) for _ in range(53)]
    first = _page(client, auditor)
    assert _rows(first) == [str(e.pk) for e in reversed(events[-50:])]
    after = re.search(r'after=([\w-]+)" rel="next"', first)[1]
    second = _page(client, auditor, after=after)
    assert _rows(second) == [str(e.pk) for e in reversed(events[:3])]
    assert 'rel="next"' not in second


def test_a_page_costs_the_same_whatever_it_shows(client, auditor, officer, case):
    client.force_login(auditor)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("accounts:audit_log")).status_code == 200
        return len(ctx)

    audit_record(actor=officer, action=AuditAction.COMPLAINT_LINK_REPEAT, obj=case, repeat_of="x")
    customer_reveal(actor=officer, customer=case.customer, complaint=case)
    base = count()
    for _ in range(5):
        audit_record(actor=officer, action=AuditAction.COMPLAINT_LINK_REPEAT, obj=case, repeat_of="x")
        customer_reveal(actor=officer, customer=case.customer, complaint=case)
    assert count() == base


def test_branch_staff_still_get_404(client, org_tree, make_user, officer):
    audit_record(actor=officer, action=AuditAction.PII_REKEY)
    for role in (roles.BRANCH_MANAGER, roles.BRANCH_HANDLER):
        client.force_login(make_user(role, org_tree.bj))
        assert client.get(reverse("accounts:audit_log"), {"action": "pii.rekey"}).status_code == 404
    assert not audit_events_for(make_user(roles.HO_OFFICER, org_tree.ho), AuditFilters()).exists()


def test_in_english_the_page_speaks_english(client, auditor, officer, case):
    customer_reveal(actor=officer, customer=case.customer, complaint=case)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = _page(client, auditor)
    assert "<dt>Fields</dt><dd>Mobile, ID number</dd>" in body
    assert "李强 (总行)" in body  # the picker
    assert "查看客户完整号码" not in body and "字段" not in body
