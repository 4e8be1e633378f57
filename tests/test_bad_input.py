"""Extreme and malformed input found by a sweep over every URL: a clear 4xx, never a 500."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts import roles
from tests.complaints.factories import ComplaintFactory

pytestmark = pytest.mark.django_db

HUGE = "9" * 30


@pytest.fixture
def officer_client(client, org_tree, make_user):
    client.force_login(make_user(roles.HO_OFFICER, org_tree.ho))
    return client


@pytest.mark.parametrize(
    "path",
    [f"/recordings/{HUGE}/", f"/recordings/{HUGE}/status/", f"/api/v1/recordings/{HUGE}/",
     f"/workflow/case/{HUGE}/", f"/analytics/improvements/{HUGE}/"],
)  # fmt: skip
def test_an_id_beyond_a_bigint_is_not_found(officer_client, path):
    assert officer_client.get(path).status_code == 404


@pytest.mark.parametrize(
    "url, params",
    [
        ("complaints:list", {"received_to": "9999-12-31"}),
        ("complaints:list", {"received_from": "0001-01-01"}),
        ("analytics:top", {"kind": "month", "anchor": "9999-12-31"}),
        ("analytics:trends", {"kind": "week", "anchor": "9999-12-27"}),
        ("analytics:cases", {"kind": "custom", "start": "0001-01-01", "end": "2026-01-01"}),
    ],
)
def test_dates_outside_1900_2100_get_a_message(officer_client, org_tree, url, params):
    ComplaintFactory(responsible_org=org_tree.bj)
    page = officer_client.get(reverse(url), params)
    assert page.status_code == 400 and "1900-01-01" in page.content.decode()


def test_a_date_out_of_range_reads_in_the_ui_language_only(officer_client):
    """Issue 14: the shared date validator says one language: Chinese by default, English under en."""
    zh = officer_client.get(reverse("complaints:list"), {"received_to": "9999-12-31"}).content.decode()
    assert "日期须在 1900-01-01 至 2100-12-31 之间" in zh and "The date must be" not in zh
    officer_client.cookies["django_language"] = "en"
    en = officer_client.get(reverse("complaints:list"), {"received_to": "9999-12-31"}).content.decode()
    assert "The date must be between 1900-01-01 and 2100-12-31" in en and "日期须在" not in en


def test_api_dates_outside_1900_2100_are_a_validation_error(officer_client):
    for url, params in [
        ("complaints_api:complaint_list", {"received_to": "9999-12-31"}),
        ("analytics_api:top", {"kind": "quarter", "anchor": "9999-12-31"}),
    ]:
        resp = officer_client.get(reverse(url), params)
        assert resp.status_code == 400 and resp.json()["error"]["code"] == "validation_error", url


def test_a_call_said_to_start_in_year_1_is_refused_with_a_message(client, org_tree, make_user, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    case = ComplaintFactory(responsible_org=org_tree.bj)
    client.force_login(make_user(roles.BRANCH_HANDLER, org_tree.bj))
    upload = SimpleUploadedFile("call.wav", b"RIFF0000WAVE", content_type="audio/wav")
    resp = client.post(
        reverse("recordings_api:list"),
        {"file": upload, "complaint": case.reference, "call_started_at": "0001-01-01T00:00:00"},
    )
    assert resp.status_code == 400 and "call_started_at" in resp.json()["error"]["fields"]


def test_a_nul_character_is_a_400_not_a_database_error(officer_client, org_tree):
    case = ComplaintFactory(responsible_org=org_tree.bj)
    resp = officer_client.post(reverse("complaints:link_repeat", args=[case.reference]), {"repeat_of": "\x00"})
    assert resp.status_code == 400 and resp.content.decode() == "请求中含有无效字符（NUL）。"
    officer_client.cookies["django_language"] = "en"  # issue 14: one language per message
    resp = officer_client.post(reverse("complaints:link_repeat", args=[case.reference]), {"repeat_of": "\x00"})
    assert resp.content.decode() == "The request contains an invalid character (NUL)."
    del officer_client.cookies["django_language"]
    assert officer_client.get(reverse("complaints:list"), {"q": "年费\x00"}).status_code == 400
    assert officer_client.get(reverse("complaints:list"), {"q": "年费"}).status_code == 200


def test_the_upload_page_refuses_a_call_in_year_1(client, org_tree, make_user, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    case = ComplaintFactory(responsible_org=org_tree.bj)
    client.force_login(make_user(roles.BRANCH_HANDLER, org_tree.bj))
    upload = SimpleUploadedFile("call.wav", b"RIFF0000WAVE", content_type="audio/wav")
    data = {"file": upload, "complaint": case.reference, "language": "zh", "direction": "inbound"}
    resp = client.post(reverse("recordings:upload"), {**data, "call_started_at": "0001-01-01T00:00"})
    assert resp.status_code in (400, 422) and "1900-01-01" in resp.content.decode()
