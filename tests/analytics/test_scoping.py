"""Unequal-fixture scoping over every analytics report, drill-down, export and API endpoint:
BJ subtree has 5 cases (2 at BJ-CY), SH has 3. A branch manager sees exactly their own
numbers and gets 404 for the other branch; head office sees both."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

pytestmark = pytest.mark.django_db


def _csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def _xlsx(response) -> list[dict]:
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def _testid(response, name) -> int:
    return int(re.search(rf'data-testid="{name}">(\d+)<', response.content.decode()).group(1))


# name -> (url, how to read "how many cases this user sees" from the response)
ENDPOINTS = {
    "top_page": (reverse("analytics:top"), lambda r: _testid(r, "total")),
    "cases_page": (reverse("analytics:cases"), lambda r: _testid(r, "case-count")),
    "drilldown_page": (reverse("analytics:cases") + "?axis=B&level=2&code=B0302", lambda r: _testid(r, "case-count")),
    "performance_page": (
        reverse("analytics:performance"),
        lambda r: int(re.search(r'class="an-total" data-org="[^"]*"><th>[^<]*</th><td>(\d+)<', r.content.decode())[1]),
    ),
    "trends_page": (
        reverse("analytics:trends") + "?by=org",
        lambda r: sum(int(v) for v in re.findall(r'<td class="heat-\d+"><a [^>]*>(\d+)</a>', r.content.decode())),
    ),
    "rising_page": (reverse("analytics:rising"), None),
    "export_cases_csv": (reverse("analytics:export", args=["cases", "csv"]), lambda r: len(_csv(r))),
    "export_cases_xlsx": (reverse("analytics:export", args=["cases", "xlsx"]), lambda r: len(_xlsx(r))),
    "export_top_csv": (
        reverse("analytics:export", args=["top", "csv"]),
        lambda r: sum(int(x["count"]) for x in _csv(r)),
    ),
    "export_top_xlsx": (reverse("analytics:export", args=["top", "xlsx"]), lambda r: sum(x["count"] for x in _xlsx(r))),
    "export_perf_csv": (reverse("analytics:export", args=["performance", "csv"]), lambda r: int(_csv(r)[-1]["total"])),
    "export_heatmap_csv": (
        reverse("analytics:export", args=["heatmap", "csv"]),
        lambda r: sum(int(v) for row in _csv(r) for k, v in row.items() if k not in ("org", "name")),
    ),
    "export_rising_csv": (reverse("analytics:export", args=["rising", "csv"]), None),
    "api_top": (reverse("analytics_api:top"), lambda r: r.json()["total"]),
    "api_performance": (reverse("analytics_api:performance"), lambda r: r.json()["total"]["total"]),
    "api_heatmap": (reverse("analytics_api:heatmap"), lambda r: sum(map(sum, r.json()["cells"]))),
    "api_trends": (
        reverse("analytics_api:trends") + "?by=org",
        lambda r: sum(sum(s["values"]) for s in r.json()["series"]),
    ),
    "api_rising": (reverse("analytics_api:rising"), None),
}


# The drill-down row B0302 holds 4 of BJ's 5 cases (one is B0101) and none of SH's.
DRILLDOWN_EXPECTED = {5: 4, 3: 0, 8: 4, 2: 2}


def _expected(name: str, n: int) -> int:
    return DRILLDOWN_EXPECTED[n] if name == "drilldown_page" else n


def _get(client, url, **params):
    sep = "&" if "?" in url else "?"
    params.setdefault("header", "key")  # the schema keys (the default headers are Chinese)
    extra = "&".join(f"{k}={v}" for k, v in params.items())
    return client.get(url + (sep + extra if extra else ""))


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
@pytest.mark.parametrize(
    ("username", "expected"), [("bj_manager", 5), ("sh_manager", 3), ("ho_officer", 8), ("auditor", 8)]
)
def test_each_user_sees_exactly_their_scope(client, unequal, users, name, username, expected):
    url, count = ENDPOINTS[name]
    client.force_login(users[username])
    response = _get(client, url)
    assert response.status_code == 200
    if count is not None:
        assert count(response) == _expected(name, expected)


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_other_branch_is_404_and_sub_branch_is_its_subtree(client, unequal, users, name):
    url, count = ENDPOINTS[name]
    client.force_login(users["bj_manager"])
    assert _get(client, url, org="SH").status_code == 404
    assert _get(client, url, org="NOPE").status_code == 404
    response = _get(client, url, org="BJ-CY")
    assert response.status_code == 200
    if count is not None:
        assert count(response) == _expected(name, 2)
    client.force_login(users["ho_officer"])
    response = _get(client, url, org="SH")
    assert response.status_code == 200
    if count is not None:
        assert count(response) == _expected(name, 3)


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_roles_without_analytics_get_404(client, unequal, users, name):
    client.force_login(users["bj_handler"])
    assert _get(client, ENDPOINTS[name][0]).status_code == 404


def test_branch_manager_page_never_names_the_other_branchs_codes(client, unequal, users):
    client.force_login(users["bj_manager"])
    body = client.get(reverse("analytics:top")).content.decode()
    assert "B0302" in body and "B0101" in body
    assert "B0401" not in body  # only SH has B0401 cases
    options = re.findall(r'<option value="([A-Z-]+)"', body)
    assert "SH" not in options and set(options) >= {"BJ", "BJ-CY"}


def test_anonymous_users_are_sent_to_login(client, unequal):
    assert client.get(reverse("analytics:top")).status_code == 302
    assert client.get(reverse("analytics_api:top")).status_code in (401, 403)
