"""The web-hardening layer (voc/hardening.py): Content-Security-Policy, no caching of customer
data, API body limits and JSON errors, the schema behind sign-in, custom error pages."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import get_resolver, reverse
from django.utils import translation
from rest_framework.exceptions import ParseError

from accounts import roles
from tests.complaints.factories import ComplaintFactory
from voc.api_parsers import RequestTooLarge, SafeJSONParser

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
MiB = 1024 * 1024


@pytest.fixture
def officer_client(client, org_tree, make_user):
    client.force_login(make_user(roles.HO_OFFICER, org_tree.ho))
    return client


def _directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in header.split(";")) if d}


# --- Content-Security-Policy ----------------------------------------------------------------


@pytest.mark.parametrize("url", ["/login/", "/", "/complaints/", "/analytics/top/", "/admin/"])
def test_pages_carry_a_strict_content_security_policy(officer_client, url):
    csp = _directives(officer_client.get(url, follow=True))
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert csp["style-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)


def test_no_template_has_inline_script_style_or_event_handler():
    """The policy allows none of them: they would silently stop working in the browser."""
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", "", path.read_text(), flags=re.S)
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER, STYLE):
            offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert offenders == []


def test_the_api_docs_page_has_no_inline_script(officer_client):
    page = officer_client.get(reverse("api-docs"))
    body = page.content.decode()
    assert page.status_code == 200 and "swagger-ui" in body
    assert not INLINE_SCRIPT.search(body) and not STYLE.search(body)
    script = officer_client.get(reverse("api-docs"), {"script": ""})
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


# --- Cache-Control: no-store ------------------------------------------------------------------


def test_responses_with_customer_data_are_never_cached(officer_client, org_tree):
    case = ComplaintFactory(responsible_org=org_tree.bj)
    urls = [
        reverse("home"),
        reverse("complaints:list"),
        reverse("workflow:case", args=[case.pk]),
        reverse("complaints:detail", args=[case.reference]),  # the old address: its redirect
        reverse("complaints_api:complaint_list"),
        reverse("analytics:export", args=["top", "csv"]),
        "/no-such-page/",
    ]
    for url in urls:
        response = officer_client.get(url)
        assert "no-store" in response["Cache-Control"], url
    assert "no-store" in Client().get(reverse("login"))["Cache-Control"]


def test_static_files_keep_their_caching(settings, tmp_path):
    """The quick start runs without DEBUG: WhiteNoise serves the collected files, cacheable."""
    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", interactive=False, verbosity=0)
    response = Client().get("/static/css/voc.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "") and "max-age" in response["Cache-Control"]
    assert b"htmx-indicator" in b"".join(response.streaming_content)


# --- API: body size, malformed and nested JSON ----------------------------------------------------


def test_an_11_mib_json_body_is_refused_before_it_is_parsed(officer_client):
    body = b'{"title": "' + b"x" * (11 * MiB) + b"  <- never closed"  # parsing it would be a 400
    response = officer_client.post(reverse("complaints_api:complaint_list"), data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_a_large_multipart_body_is_refused_except_where_files_are_uploaded(officer_client, org_tree, settings):
    settings.API_MAX_BODY_BYTES = 4096
    filler = SimpleUploadedFile("big.txt", b"0" * 10_000, content_type="text/plain")
    complaints = officer_client.post(reverse("complaints_api:complaint_list"), {"file": filler})
    assert complaints.status_code == 413
    # The recording upload takes files and applies its own checks (here: not audio).
    case = ComplaintFactory(responsible_org=org_tree.bj)
    junk = SimpleUploadedFile("call.wav", b"0" * 10_000, content_type="audio/wav")
    upload = officer_client.post(reverse("recordings_api:list"), {"file": junk, "complaint": case.reference})
    assert upload.status_code == 400 and "音频格式" in upload.json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [b"[" * 5000, b"[" * 5000 + b"]" * 5000, b'{"a":' * 3000 + b"1" + b"}" * 3000, b"[" * 40 + b"]" * 40],
    ids=["5000-open", "5000-balanced", "3000-objects", "40-deep"],
)
def test_deeply_nested_json_is_a_400_with_a_json_error(officer_client, body):
    response = officer_client.post(reverse("complaints_api:complaint_list"), data=body, content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "parse_error" and "嵌套" in error["message"]


@pytest.mark.parametrize("body", [b'{"title": ', b"\xff\xfe", b'{"amount": NaN}'], ids=["truncated", "not-utf8", "nan"])
def test_malformed_json_is_a_400_with_a_json_error(officer_client, body):
    response = officer_client.post(reverse("complaints_api:complaint_list"), data=body, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "parse_error"


def test_ordinary_json_still_reaches_the_serializer(officer_client):
    response = officer_client.post(
        reverse("complaints_api:complaint_list"), data={"title": "x"}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"


def test_the_parser_caps_what_it_reads_when_no_length_is_declared(settings):
    settings.API_MAX_BODY_BYTES = 100
    with pytest.raises(RequestTooLarge):
        SafeJSONParser().parse(io.BytesIO(b"[" + b"1," * 100 + b"1]"), "application/json", {})
    assert SafeJSONParser().parse(io.BytesIO(b'{"a": [1, 2]}'), "application/json", {}) == {"a": [1, 2]}
    with pytest.raises(ParseError):
        SafeJSONParser().parse(io.BytesIO(b"[" * 33 + b"]" * 33), "application/json", {})
    assert SafeJSONParser().parse(io.BytesIO(b"[" * 32 + b"]" * 32), "application/json", {}) is not None


# --- API: JSON errors, schema and docs behind sign-in ----------------------------------------------


def test_unknown_api_paths_answer_json(officer_client):
    response = officer_client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("status", [400, 403, 404, 500])
def test_api_errors_raised_outside_drf_views_answer_json(status):
    request = RequestFactory().get("/api/v1/complaints/")
    handler = get_resolver().resolve_error_handler(status)
    response = handler(request) if status == 500 else handler(request, Exception("x"))
    assert response.status_code == status
    assert json.loads(response.content)["error"]["message"]


def test_the_schema_and_docs_need_a_signed_in_user(officer_client):
    anonymous = Client()
    schema = anonymous.get(reverse("api-schema"))
    assert schema.status_code in (401, 403) and b"not_authenticated" in schema.content
    docs = anonymous.get(reverse("api-docs"))
    assert docs.status_code == 302 and docs["Location"].startswith(reverse("login"))
    assert officer_client.get(reverse("api-schema")).status_code == 200


# --- Error pages ------------------------------------------------------------------------------------


def test_a_missing_page_is_the_product_page_not_a_url_list(officer_client):
    response = officer_client.get("/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在" in body and "返回首页" in body
    assert "urlpatterns" not in body and "Using the URLconf" not in body


def test_error_pages_are_translated(officer_client):
    officer_client.cookies["django_language"] = "en"
    assert "Page not found" in officer_client.get("/no-such-page/").content.decode()


@pytest.mark.parametrize(
    "status, text", [(400, "请求无效"), (403, "无权访问"), (404, "页面不存在"), (500, "服务器出错了")]
)
def test_every_error_page_is_ours(status, text, rf):
    request = rf.get("/complaints/")
    request.user = _anonymous()
    handler = get_resolver().resolve_error_handler(status)
    with translation.override("zh-hans"):
        response = handler(request) if status == 500 else handler(request, Exception("x"))
    assert response.status_code == status and text in response.content.decode()
    assert "Traceback" not in response.content.decode()


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


@pytest.mark.urls("tests.crash_urls")
def test_a_crash_shows_the_error_page_or_a_json_error_not_a_traceback(officer_client):
    """DEBUG is off unless a developer asks for it, so a crash shows templates/500.html."""
    officer_client.raise_request_exception = False
    page = officer_client.get("/crash/")
    assert page.status_code == 500 and "服务器出错了" in page.content.decode()
    assert "secret detail" not in page.content.decode() and "no-store" in page["Cache-Control"]
    api = officer_client.get("/api/v1/crash/")
    assert api.status_code == 500 and api.json()["error"]["code"] == "server_error"
    assert "secret detail" not in api.content.decode()


@pytest.mark.urls("tests.crash_urls")
def test_a_lost_database_connection_answers_503_with_retry_after(officer_client, caplog):
    """A PostgreSQL restart or failover: the user is told to retry in a moment (503, Retry-After),
    not that the server is broken (500); the API answers in its JSON shape; nothing leaks."""
    officer_client.raise_request_exception = False
    page = officer_client.get("/dbdown/")
    assert page.status_code == 503 and page["Retry-After"] == "5"
    assert "服务暂时不可用" in page.content.decode() and "secret detail" not in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    api = officer_client.get("/api/v1/dbdown/")
    assert api.status_code == 503 and api["Retry-After"] == "5"
    assert api.json()["error"]["code"] == "service_unavailable" and "secret detail" not in api.content.decode()
    assert "database unavailable: answered 503" in caplog.text
    # any other crash is still a 500
    assert officer_client.get("/crash/").status_code == 500


@pytest.mark.urls("tests.crash_urls")
def test_the_503_page_speaks_english_under_the_english_ui(officer_client):
    officer_client.raise_request_exception = False
    officer_client.cookies["django_language"] = "en"
    page = officer_client.get("/dbdown/")
    assert page.status_code == 503 and "briefly unavailable" in page.content.decode()
