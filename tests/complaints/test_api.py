"""REST API: create with Idempotency-Key, structured errors, cursor list, schema."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from complaints.models import Complaint
from tests.complaints.conftest import ID_NUMBER, MOBILE
from tests.complaints.factories import ComplaintFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/complaints/"


def body(**overrides):
    data = {
        "channel": "hotline",
        "code_a": "A0302",
        "code_b": "B030202",
        "code_c": "C03",
        "summary": "信用卡年费争议",
        "details": "卡号6222021234567890",
        "customer": {"name": "张伟", "title": "mr", "mobile": MOBILE, "home_org": "BJ"},
    }
    data.update(overrides)
    return data


@pytest.fixture
def api(agent):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=agent).key}")
    return client


def test_create_returns_201_with_masked_case(api, org_tree):
    response = api.post(URL, body(), format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["reference"].startswith("VOC-")
    assert data["combined_code"] == "A0302-B030202-C03"
    assert data["responsible_org"]["code"] == "BJ"
    assert data["customer"] == {"salutation": "张先生", "mobile_masked": "138****5678", "id_number_masked": ""}
    assert "6222021234567890" not in response.content.decode()
    assert MOBILE not in response.content.decode()


def test_retry_with_same_idempotency_key_returns_the_same_case(api, org_tree):
    first = api.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["reference"] == first.json()["reference"]
    assert Complaint.objects.count() == 1


def test_same_key_different_body_is_a_clear_422(api, org_tree):
    api.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    response = api.post(URL, body(summary="别的事"), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Complaint.objects.count() == 1


def test_keys_are_per_user(api, org_tree, make_user):
    from accounts import roles

    api.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="shared")
    other = APIClient()
    other.force_authenticate(make_user(roles.AGENT, org_tree.ho, username="agent2"))
    assert other.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="shared").status_code == 201
    assert Complaint.objects.count() == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code_b": "B03"}, "code_b"),
        ({"code_c": "C9999"}, "code_c"),
        ({"summary": "x" * 201}, "summary"),
        ({"channel": "fax"}, "channel"),
        ({"customer": {"name": "张伟", "mobile": "123"}}, "customer.mobile"),
        ({"customer": {"name": "张伟", "mobile": MOBILE, "home_org": "NOPE"}}, "customer.home_org"),
        ({"disputed_amount": "abc"}, "disputed_amount"),
        ({"channel": "regulator"}, "regulator_reference"),
        ({"repeat_of": "VOC-2026-9999999"}, "repeat_of"),
    ],
)
def test_bad_input_is_structured_json_with_field_messages(api, org_tree, overrides, field):
    response = api.post(URL, body(**overrides), format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"] and error["message"]
    assert Complaint.objects.count() == 0


def test_unauthenticated_and_read_only_callers_cannot_create(org_tree, make_user):
    from accounts import roles

    client = APIClient()
    assert client.post(URL, body(), format="json").status_code in (401, 403)
    client.force_authenticate(make_user(roles.AUDITOR, org_tree.ho))
    assert client.post(URL, body(), format="json").status_code == 403
    assert Complaint.objects.count() == 0


def test_list_walks_all_cases_by_cursor_newest_first(api, org_tree):
    import datetime as dt

    from django.utils import timezone

    base = timezone.now()
    made = [ComplaintFactory(responsible_org=org_tree.bj, received_at=base - dt.timedelta(hours=i)) for i in range(7)]
    # Two cases at the same instant: the id breaks the tie, none is skipped.
    made.append(ComplaintFactory(responsible_org=org_tree.sh, received_at=made[3].received_at))
    seen, cursor = [], ""
    while True:
        page = api.get(URL, {"limit": 3, "cursor": cursor}).json()
        seen += [r["reference"] for r in page["results"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    expected = sorted(made, key=lambda c: (c.received_at, c.id), reverse=True)
    assert seen == [c.reference for c in expected]


def test_list_filters(api, org_tree):
    ComplaintFactory(responsible_org=org_tree.bj, channel="app")
    ComplaintFactory(
        responsible_org=org_tree.bj, code_b=__import__("tests.complaints.factories", fromlist=["code"]).code("B0101")
    )
    ComplaintFactory(responsible_org=org_tree.sh, is_elderly=True, summary="老人柜面排队太久")
    assert len(api.get(URL, {"channel": "app"}).json()["results"]) == 1
    assert len(api.get(URL, {"code_b": "B0302"}).json()["results"]) == 2
    assert len(api.get(URL, {"code_b": "B01"}).json()["results"]) == 1
    assert len(api.get(URL, {"flags": "is_elderly"}).json()["results"]) == 1
    assert len(api.get(URL, {"q": "排队"}).json()["results"]) == 1
    assert len(api.get(URL, {"org": "SH"}).json()["results"]) == 1


def test_list_bad_params_are_400_with_fields(api):
    response = api.get(URL, {"cursor": "!!!", "limit": 1000})
    assert response.status_code == 400
    assert "limit" in response.json()["error"]["fields"]
    response = api.get(URL, {"cursor": "bm9wZQ"})
    assert response.status_code == 400 and "cursor" in response.json()["error"]["fields"]


def test_bad_cursor_error_is_in_the_ui_language_only(api):
    """Issue 14: one language per message; Chinese by default, English once the user chose it."""
    zh = api.get(URL, {"cursor": "bm9wZQ"}).json()["error"]["fields"]["cursor"]
    api.cookies["django_language"] = "en"
    en = api.get(URL, {"cursor": "bm9wZQ"}).json()["error"]["fields"]["cursor"]
    assert (zh, en) == (["无效的翻页游标"], ["Invalid cursor"])


def test_invalid_id_number_error_is_in_the_ui_language_only(api, org_tree):
    customer = {"name": "张伟", "title": "mr", "id_number": ID_NUMBER[:-1] + "3", "home_org": "BJ"}
    zh = api.post(URL, body(customer=customer), format="json")
    api.cookies["django_language"] = "en"
    en = api.post(URL, body(customer=customer), format="json")
    assert zh.status_code == en.status_code == 400
    assert zh.json()["error"]["fields"]["customer.id_number"] == ["身份证号码校验位错误"]
    assert en.json()["error"]["fields"]["customer.id_number"] == ["ID number checksum mismatch"]
    assert Complaint.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field", "zh_message", "en_message"),
    [
        ({"channel": "regulator"}, "regulator_reference", "监管转办须填写监管编号", "Regulator reference is required"),
        ({"repeat_of": "VOC-2026-9999999"}, "repeat_of", "找不到该投诉", "Case not found"),
        (
            {"customer": {"name": "张伟3", "title": "mr", "mobile": MOBILE, "home_org": "BJ"}},
            "customer.name",
            "姓名不能包含数字",
            "A name cannot contain digits",
        ),
    ],
)
def test_intake_service_errors_are_in_the_ui_language_only(api, org_tree, overrides, field, zh_message, en_message):
    """Issue 14: a message raised by complaints/services reads in Chinese by default, in English once chosen."""
    zh = api.post(URL, body(**overrides), format="json")
    api.cookies["django_language"] = "en"
    en = api.post(URL, body(**overrides), format="json")
    assert zh.status_code == en.status_code == 400
    assert zh.json()["error"]["fields"][field] == [zh_message]
    assert en.json()["error"]["fields"][field] == [en_message]
    assert Complaint.objects.count() == 0


def test_wrong_json_type_error_is_in_the_ui_language_only(api, org_tree):
    zh = api.post(URL, body(summary=12), format="json").json()["error"]["fields"]["summary"]
    api.cookies["django_language"] = "en"
    en = api.post(URL, body(summary=12), format="json").json()["error"]["fields"]["summary"]
    assert (zh, en) == (["应为 JSON string"], ["Must be a JSON string"])


def test_taxonomy_search_finds_annual_fee(api):
    rows = api.get("/api/v1/taxonomy/", {"q": "年费", "axis": "B", "selectable": "1"}).json()
    assert rows[0]["code"] == "B030202"
    assert api.get("/api/v1/taxonomy/", {"axis": "Z"}).status_code == 400


def test_schema_has_the_complaint_endpoints_and_generates_without_warnings(client, agent):
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "/api/v1/complaints/" in schema["paths"]
    assert "/api/v1/complaints/{reference}/" in schema["paths"]
    params = [p["name"] for p in schema["paths"]["/api/v1/complaints/"]["post"]["parameters"]]
    assert "Idempotency-Key" in params
    ours = [w for w in GENERATOR_STATS._warn_cache if "omplaint" in str(w) or "Taxonomy" in str(w)]
    assert not ours, ours
    client.force_login(agent)
    assert client.get(reverse("api-docs")).status_code == 200
