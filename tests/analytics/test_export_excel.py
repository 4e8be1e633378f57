"""Exports people open in Excel (issue 11): Chinese headers by default and the schema keys under
the English UI; numbers and percentages are numbers with number formats, dates are dates."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from analytics.exports import CASE_SCHEMA
from analytics.models import ImprovementItem
from analytics.services import rollup_rebuild
from tests.analytics.conftest import make_case

pytestmark = pytest.mark.django_db


def _get(client, table, fmt, query="", **headers):
    response = client.get(reverse("analytics:export", args=[table, fmt]) + query, **headers)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def _sheet(body: bytes) -> tuple[list[str], list[list]]:
    rows = [list(r) for r in load_workbook(io.BytesIO(body)).active.iter_rows()]
    return [c.value for c in rows[0]], rows[1:]


def _row(header, rows, column, value) -> dict:
    i = header.index(column)
    return next(dict(zip(header, r, strict=True)) for r in rows if r[i].value == value)


@pytest.fixture
def sh_fall(org_tree, users, today):
    """At SH, 1 case of B0401 3 days ago (redress 1,234.50) against 3 in the 30 days before."""
    make_case(org_tree.sh, today - timedelta(days=3), b="B0401", c="C0201", redress_amount=Decimal("1234.50"))
    for _ in range(3):
        make_case(org_tree.sh, today - timedelta(days=40), b="B0401", c="C0201")
    rollup_rebuild()
    return today


def test_top_xlsx_chinese_headers_percentages_as_numbers_with_formats(client, users, sh_fall):
    client.force_login(users["ho_officer"])
    header, rows = _sheet(_get(client, "top", "xlsx", "?level=2"))
    assert header == ["排名", "代码", "名称", "件数", "占比", "上期件数", "变化", "变化率", "新增", "上期排名", "排名变化", "重复投诉", "重复率"]  # fmt: skip
    row = _row(header, rows, "代码", "B0401")
    assert (row["件数"].value, row["上期件数"].value, row["变化"].value) == (1, 3, -2)
    # 1 against 3 is -66.7 %: stored as the fraction -0.667, shown as a percentage
    assert row["变化率"].data_type == "n" and row["变化率"].value == pytest.approx(-0.667)
    assert row["变化率"].number_format == "0.0%"
    assert row["占比"].value == pytest.approx(1.0) and row["占比"].number_format == "0.0%"
    assert row["件数"].data_type == "n" and row["件数"].number_format == "0"
    # the CSV keeps plain numbers in percent units, never text like "−66.7%"
    (csv_row,) = [r for r in csv.DictReader(io.StringIO(_get(client, "top", "csv", "?level=2").decode("utf-8-sig"))) if r["代码"] == "B0401"]  # fmt: skip
    assert (csv_row["变化"], csv_row["变化率"], csv_row["占比"]) == ("-2", "-66.7", "100.0")


def test_yoy_top_export_names_the_comparison(client, users, sh_fall):
    client.force_login(users["ho_officer"])
    header, _ = _sheet(_get(client, "top", "xlsx", "?preset=yoy"))
    assert "去年同期件数" in header and "上期件数" not in header


def test_case_xlsx_dates_are_dates_and_money_is_money(client, users, sh_fall):
    client.force_login(users["ho_officer"])
    header, rows = _sheet(_get(client, "cases", "xlsx", "?org=SH"))
    assert header == [c.zh for c in CASE_SCHEMA] and header[:2] == ["投诉编号", "受理日期"]
    row = _row(header, rows, "补偿金额（元）", 1234.5)
    received = row["受理日期"]
    assert received.is_date and received.value == datetime(2026, 12, 4) and received.number_format == "yyyy-mm-dd"
    assert row["补偿金额（元）"].data_type == "n" and row["补偿金额（元）"].number_format == "#,##0.00"
    assert row["决定日期"].value is None  # not decided: an empty cell, not ""
    body = _get(client, "cases", "csv", "?org=SH").decode("utf-8-sig")
    first = next(r for r in csv.DictReader(io.StringIO(body)) if r["补偿金额（元）"])
    assert (first["受理日期"], first["补偿金额（元）"]) == ("2026-12-04", "1234.50")


def test_english_ui_gets_the_schema_keys(client, users, sh_fall):
    client.force_login(users["ho_officer"])
    client.cookies["django_language"] = "en"  # the English UI
    header, _ = _sheet(_get(client, "cases", "xlsx"))
    assert header == [c.key for c in CASE_SCHEMA]
    body = _get(client, "performance", "csv").decode("utf-8-sig")
    assert body.splitlines()[0].startswith("org,name,total,decided,timely_15d_pct")
    del client.cookies["django_language"]
    header, _ = _sheet(_get(client, "top", "xlsx", "?header=key"))  # asked for explicitly
    assert header[:4] == ["rank", "code", "name", "count"]


def test_performance_and_improvement_xlsx_types(client, org_tree, users, sh_fall):
    ImprovementItem.objects.create(
        title="年费提示", owner_org=org_tree.sh, due_date=date(2027, 1, 15), created_by=users["ho_officer"]
    )
    client.force_login(users["ho_officer"])
    header, rows = _sheet(_get(client, "performance", "xlsx"))
    sh = _row(header, rows, "机构", "SH")
    assert sh["投诉件数"].value == 1 and sh["补偿金额（元）"].value == 1234.5
    assert sh["补偿金额（元）"].number_format == "#,##0.00"
    for column in ("按时答复率", "延期率", "核实率", "成立率"):
        assert sh[column].value is None or (sh[column].data_type == "n" and sh[column].number_format == "0.0%")
    header, rows = _sheet(_get(client, "improvements", "xlsx"))
    item = dict(zip(header, rows[0], strict=True))
    assert item["整改期限"].is_date and item["整改期限"].value == datetime(2027, 1, 15)
    assert item["创建时间"].is_date and item["创建时间"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert item["创建时间"].value.date() == sh_fall  # local time (Asia/Shanghai), no timezone
    assert item["编号"].data_type == "n" and item["关闭时间"].value is None
