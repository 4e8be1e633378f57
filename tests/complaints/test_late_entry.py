"""Issue 17, point 7: the record tells when the complaint arrived and when it was logged.

A case entered 13 days after the customer complained used to show the receipt time as its
registration time on the timeline, hiding the delay. Now the registration is logged at the
real time, the receipt time and the delay are on it, and staff must say why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from workflow.models import CaseTransition
from workflow.timeline import timeline_entries

pytestmark = pytest.mark.django_db


def test_a_late_entry_needs_a_reason_and_shows_its_delay(register):
    received = timezone.now() - timedelta(days=13, hours=2)
    with pytest.raises(ValidationError) as refused:
        register(received_at=received, late_reason="")
    assert "late_reason" in refused.value.message_dict

    case = register(received_at=received, late_reason="客户来信，分行 13 天后转来 13812345678")
    entry = CaseTransition.objects.get(complaint=case, action="register")
    assert entry.at >= timezone.now() - timedelta(minutes=5)  # the real registration time
    assert entry.data["late_days"] == 13 and entry.data["received_at"].startswith(
        timezone.localtime(received).strftime("%Y-%m-%d")
    )
    assert "13812345678" not in entry.reason and "分行 13 天后转来" in entry.reason  # masked reason
    detail = " ".join(e.detail for e in timeline_entries(case) if "登记" in e.title)
    assert "登记延迟 13 天" in detail and "补录" in detail


def test_a_case_logged_while_the_customer_is_on_the_phone_needs_no_reason(register):
    case = register(received_at=timezone.now() - timedelta(minutes=20), late_reason="")
    entry = CaseTransition.objects.get(complaint=case, action="register")
    assert entry.data == {} and entry.reason == ""


def test_imports_without_staff_input_are_recorded_but_not_refused(register):
    case = register(received_at=timezone.now() - timedelta(days=40))  # no late_reason given: an import
    assert CaseTransition.objects.get(complaint=case, action="register").data["late_days"] == 40


def test_the_api_and_the_case_page_carry_both_times(client, agent, register, intake_input):
    client.force_login(agent)
    body = intake_input(received_at=(timezone.now() - timedelta(days=3)).isoformat())
    body["customer"] = {"name": "李女士", "title": "ms", "mobile": "13912345670"}
    resp = client.post(reverse("complaints_api:complaint_list"), body, content_type="application/json")
    assert resp.status_code == 400 and "late_reason" in resp.json()["error"]["fields"], resp.content
    body["late_reason"] = "客户来信"
    resp = client.post(reverse("complaints_api:complaint_list"), body, content_type="application/json")
    assert resp.status_code == 201, resp.content
    page = client.get(reverse("complaints:detail", args=[resp.json()["reference"]]), follow=True).content.decode()
    assert "登记时间" in page and "登记延迟 3 天" in page
