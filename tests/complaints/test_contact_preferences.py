"""Stored contact preferences (issue 14): the customer's preferred channel and time, set by staff
who see one of the customer's cases, audit-logged, shown on the customer page and the case page.

Unequal on purpose: 王芳 has one case at 朝阳支行 (BJ-CY) and one at 上海分行; a BJ-CY handler may
set her preference, SH's manager may too (a case of hers is theirs). 李强's only case is at
BJ-CY: SH's manager sees none of his cases (404, nothing stored); the auditor reads but may not
change a preference (403).
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from accounts import roles
from accounts.models import AuditAction, AuditEvent, User
from complaints.models import Customer
from complaints.services import CustomerInput, complaint_register, customer_contact_set

pytestmark = pytest.mark.django_db

MOBILE = "13955556666"


@pytest.fixture(autouse=True)
def _clock(pin_clock):
    pin_clock(date(2026, 12, 7))


@pytest.fixture
def cases(agent, org_tree):
    def reg(org, name="王芳", mobile=MOBILE):
        return complaint_register(
            actor=agent,
            channel="hotline",
            code_a="A0302",
            code_b="B030202",
            code_c="C03",
            summary="年费争议",
            customer=CustomerInput(name=name, title="ms", mobile=mobile),
            responsible_org=org,
        )

    return {
        "bj_cy": reg(org_tree.bj_cy),
        "sh": reg(org_tree.sh),
        "cy_only": reg(org_tree.bj_cy, name="李强", mobile="13711112222"),
    }


@pytest.fixture
def people(org_tree, make_user):
    handler = make_user(roles.BRANCH_HANDLER, org_tree.bj_cy, username="cy_hdl")
    User.objects.filter(pk=handler.pk).update(display_name="赵敏")
    handler.refresh_from_db()
    return {
        "handler": handler,
        "sh": make_user(roles.BRANCH_MANAGER, org_tree.sh, username="sh_mgr"),
        "auditor": make_user(roles.AUDITOR, org_tree.ho, username="aud"),
    }


def _post(client, customer, **data):
    return client.post(reverse("complaints:customer_contact", args=[customer.pk]), data)


def test_the_handler_stores_the_preference_and_both_pages_show_it(client, cases, people):
    case = cases["bj_cy"]
    customer = case.customer
    client.force_login(people["handler"])
    case_url = reverse("workflow:case", args=[case.pk])
    before = client.get(case_url).content.decode()
    assert 'id="case-contact"' in before and "未登记" in before
    edit = f"{reverse('complaints:customer', args=[customer.pk])}?next={case_url}#customer-contact"
    assert edit.replace("&", "&amp;") in before  # the case page's 修改 link comes back to the case

    resp = _post(client, customer, contact_channel="phone", contact_time="workday_pm", next=case_url)
    assert resp.status_code == 302 and resp.url == case_url
    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.contact_channel, stored.contact_time) == ("phone", "workday_pm")
    assert stored.contact_updated_by == people["handler"]
    event = AuditEvent.objects.get(action=AuditAction.CUSTOMER_CONTACT_SET)
    assert event.actor == people["handler"] and event.object_id == str(customer.pk)
    assert event.detail == {"from": "—", "to": "电话 · 工作日下午"}

    html = client.get(case_url).content.decode()
    assert "电话 · 工作日下午" in html
    page = client.get(reverse("complaints:customer", args=[customer.pk])).content.decode()
    assert 'id="contact-channel">电话<' in page and 'id="contact-time">工作日下午<' in page
    assert 'id="contact-updated">赵敏 于 2026-12-07 ' in page  # a name, not a username
    assert '<option value="phone" selected>' in page  # the form opens on what is stored


def test_an_unchanged_preference_writes_nothing_and_a_change_is_logged_with_both(client, cases, people):
    customer = cases["sh"].customer
    client.force_login(people["sh"])
    _post(client, customer, contact_channel="sms", contact_time="")
    _post(client, customer, contact_channel="sms", contact_time="")
    assert AuditEvent.objects.filter(action=AuditAction.CUSTOMER_CONTACT_SET).count() == 1
    resp = _post(client, customer, contact_channel="", contact_time="evening", next="https://evil.example/")
    assert resp.url == f"{reverse('complaints:customer', args=[customer.pk])}#customer-contact"  # not elsewhere
    last = AuditEvent.objects.filter(action=AuditAction.CUSTOMER_CONTACT_SET).order_by("-id").first()
    assert last.detail == {"from": "短信", "to": "晚间（18:00–20:00）"}


@pytest.mark.parametrize(("who", "status"), [("sh", 404), ("auditor", 403)])
def test_who_may_not_change_it_changes_nothing(client, cases, people, who, status):
    customer = cases["cy_only"].customer
    client.force_login(people[who])
    assert _post(client, customer, contact_channel="phone", contact_time="any").status_code == status
    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.contact_channel, stored.contact_time) == ("", "")
    assert not AuditEvent.objects.filter(action=AuditAction.CUSTOMER_CONTACT_SET).exists()
    with pytest.raises(PermissionDenied):
        customer_contact_set(actor=people[who], customer=customer, channel="phone", time="any")


def test_the_auditor_reads_the_preference_without_a_form(client, cases, people):
    customer = cases["bj_cy"].customer
    customer_contact_set(actor=people["handler"], customer=customer, channel="email", time="weekend")
    client.force_login(people["auditor"])
    page = client.get(reverse("complaints:customer", args=[customer.pk])).content.decode()
    assert 'id="contact-channel">电子邮件<' in page and 'id="contact-form"' not in page
    case_page = client.get(reverse("workflow:case", args=[cases["bj_cy"].pk])).content.decode()
    assert "电子邮件 · 周末" in case_page and 'id="case-contact-edit"' not in case_page


def test_a_bad_value_is_refused_with_a_message_in_the_ui_language(client, cases, people):
    customer = cases["bj_cy"].customer
    client.force_login(people["handler"])
    resp = _post(client, customer, contact_channel="pigeon", contact_time="any")
    assert resp.status_code == 400
    html = resp.content.decode()
    assert 'id="err-contact_channel"' in html
    assert '<option value="any" selected>' in html  # what was chosen is kept
    assert Customer.objects.get(pk=customer.pk).contact_time == ""
    for lang, word in (("zh-hans", "请从列表中选择联系方式"), ("en", "Choose a channel from the list")):
        with translation.override(lang), pytest.raises(ValidationError) as exc:
            customer_contact_set(actor=people["handler"], customer=customer, channel="pigeon", time="")
        assert exc.value.message_dict == {"contact_channel": [word]}
