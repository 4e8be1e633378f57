"""Remediation (整改) items: opened from a TOP row with its cases, scoped, closed with a note."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.models import ImprovementItem

pytestmark = pytest.mark.django_db


def _open(client, owner="BJ", code="B0302", org=""):
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    url = (
        reverse("analytics:improvement_new")
        + f"?axis=B&level=2&code={code}&source=top"
        + (f"&org={org}" if org else "")
    )
    return client.post(
        url, {"title": "信用卡年费整改", "owner_org": owner, "due_date": due, "description": "统一年费减免口径"}
    )


def test_open_from_top_row_links_the_cases_in_scope(client, unequal, users):
    client.force_login(users["bj_manager"])
    response = _open(client)
    item = ImprovementItem.objects.get()
    assert response.status_code == 302 and response.url == reverse("analytics:improvement_detail", args=[item.pk])
    assert item.codes == ["B0302"] and item.source == "top" and item.owner_org.code == "BJ"
    assert item.cases.count() == 4  # BJ's B0302 cases only


def test_branch_manager_cannot_assign_to_another_branch_or_see_its_items(client, unequal, users):
    client.force_login(users["bj_manager"])
    response = _open(client, owner="SH")
    assert response.status_code == 400 and "权限范围" in response.content.decode()
    assert not ImprovementItem.objects.exists()
    client.force_login(users["ho_officer"])
    assert _open(client, owner="SH", org="SH").status_code == 302
    sh_item = ImprovementItem.objects.get()
    assert sh_item.cases.count() == 0  # SH has no B0302 cases
    client.force_login(users["bj_manager"])
    assert client.get(reverse("analytics:improvement_detail", args=[sh_item.pk])).status_code == 404
    assert client.get(reverse("analytics_api:improvements")).json() == []
    client.force_login(users["sh_manager"])
    assert [i["id"] for i in client.get(reverse("analytics_api:improvements")).json()] == [sh_item.pk]


def test_closing_needs_a_note_and_counts_as_fixed_this_quarter(client, unequal, users):
    client.force_login(users["ho_officer"])
    _open(client)
    item = ImprovementItem.objects.get()
    url = reverse("analytics:improvement_detail", args=[item.pk])
    response = client.post(url, {"status": "closed", "note": ""})
    assert response.status_code == 400 and "整改结果" in response.content.decode()
    item.refresh_from_db()
    assert item.status == "open" and item.closed_at is None
    assert client.post(url, {"status": "closed", "note": "已调整年费规则"}).status_code == 302
    item.refresh_from_db()
    assert item.status == "closed" and item.closing_note == "已调整年费规则"
    board = client.get(reverse("analytics:improvements")).content.decode()
    now = timezone.localtime()
    assert f"{now.year}-Q{(now.month - 1) // 3 + 1}：<strong>1</strong>" in board


def test_customer_numbers_typed_into_an_item_are_masked(client, unequal, users):
    client.force_login(users["ho_officer"])
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    client.post(
        reverse("analytics:improvement_new") + "?axis=B&level=2&code=B0302&source=top",
        {"title": "客户13812345678年费", "owner_org": "BJ", "due_date": due, "description": "卡号6222021234567894"},
    )
    item = ImprovementItem.objects.get()
    url = reverse("analytics:improvement_detail", args=[item.pk])
    assert client.post(url, {"status": "closed", "note": "已回电 13812345678，退费 200 元"}).status_code == 302
    item.refresh_from_db()
    stored = f"{item.title} {item.description} {item.closing_note}"
    assert "13812345678" not in stored and "6222021234567894" not in stored
    assert item.title == "客户138****5678年费" and item.closing_note.endswith("退费 200 元")


def test_auditor_reads_but_never_writes(client, unequal, users):
    client.force_login(users["auditor"])
    assert client.get(reverse("analytics:improvements")).status_code == 200
    assert _open(client).status_code == 404
    assert not ImprovementItem.objects.exists()


def test_bad_form_input_saves_nothing(client, unequal, users):
    client.force_login(users["ho_officer"])
    url = reverse("analytics:improvement_new")
    response = client.post(url, {"title": "", "owner_org": "BJ", "due_date": "not-a-date"})
    assert response.status_code == 400
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(url, {"title": "x", "owner_org": "BJ", "due_date": past})
    assert response.status_code == 400 and "整改期限" in response.content.decode()
    assert not ImprovementItem.objects.exists()


def test_api_schema_documents_the_analytics_endpoints(client, users):
    client.force_login(users["ho_officer"])
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").content.decode()
    for path in ("/api/v1/analytics/top/", "/api/v1/analytics/rising/", "/api/v1/analytics/performance/"):
        assert path in schema


def test_closing_without_a_note_is_refused_in_the_ui_language_only(client, unequal, users):
    """Issue 14: the analytics services' refusal reads in one language: Chinese by default, English under en."""
    client.force_login(users["ho_officer"])
    _open(client)
    item = ImprovementItem.objects.get()
    url = reverse("analytics:improvement_detail", args=[item.pk])
    zh = client.post(url, {"status": "closed", "note": ""}).content.decode()
    assert "关闭整改事项需填写整改结果" in zh and "Say what was fixed" not in zh
    client.cookies["django_language"] = "en"
    response = client.post(url, {"status": "closed", "note": ""})
    assert response.status_code == 400
    assert "Say what was fixed to close the item" in response.content.decode()
    assert "关闭整改事项需填写整改结果" not in response.content.decode()


def test_improvement_service_refusals_are_in_the_active_language_only(unequal, users):
    """Issue 14: improvement_create/set_status raise one message in the active language, not "中文 / English"."""
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from analytics.services import improvement_create, improvement_set_status

    officer = users["ho_officer"]
    item = improvement_create(
        actor=officer, title="年费整改", owner_org=officer.org, due_date=timezone.localdate() + timedelta(days=7)
    )
    with translation.override("en"), pytest.raises(ValidationError) as err:
        improvement_set_status(actor=officer, item=item, status="done")
    assert err.value.message_dict == {"status": ["Unknown status: 'done'"]}
    with pytest.raises(ValidationError) as err:
        improvement_set_status(actor=officer, item=item, status="done")
    assert err.value.message_dict == {"status": ["未知状态：'done'"]}
    far = users["sh_manager"].org
    with translation.override("en"), pytest.raises(ValidationError) as err:
        improvement_create(actor=users["bj_manager"], title="x", owner_org=far, due_date=timezone.localdate())
    assert err.value.message_dict == {"owner_org": ["Owner org is outside your scope"]}
    with translation.override("en"), pytest.raises(ValidationError) as err:
        improvement_create(
            actor=officer, title="x", owner_org=officer.org, due_date=timezone.localdate() - timedelta(days=1)
        )
    assert err.value.message_dict == {"due_date": ["Due date cannot be in the past"]}
