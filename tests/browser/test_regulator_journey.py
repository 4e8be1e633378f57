"""Journey (issue 15, regulator transfers): a head-office complaint officer on a desktop opens
监管转办导入 from the home page, uploads the regulator's Excel file (a title row above the
header, one bad row), reads the per-row preview — two rows to create, one with its cell and
reason — imports, and finds the two regulator-referred cases in the case list, while the bad row
waits in the error report. Screenshots in test-artifacts/regulator-*.png."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from accounts import roles
from complaints.models import Complaint
from integrations.regulator_file import COLUMNS
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _workbook(path: Path) -> None:
    today = timezone.localdate()
    wb = Workbook()
    ws = wb.active
    ws.append(["监管转办投诉清单"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    ws.append([c.zh for c in COLUMNS])

    def line(**v):
        ws.append([v.get(c.key) for c in COLUMNS])

    line(
        regulator_reference="JG-WEB-001",
        regulator_received_on=today - timedelta(days=3),
        forwarded_on=today,
        customer_name="张三",
        customer_title="先生",
        mobile="13812345678",
        summary="信用卡年费争议",
        content="消费者反映未开卡即被收取年费。",
        branch="北京分行",
        code_a="A0302",
        code_b="B030202",
        code_c="C03",
    )
    line(
        regulator_reference="JG-WEB-002",
        regulator_received_on=(today - timedelta(days=2)).strftime("%Y/%m/%d"),
        customer_name="李四",
        customer_title="女士",
        mobile="13912345678",
        content="网点排队时间过长，无人引导。",
        branch="朝阳支行",
        code_c="排队",
    )
    line(regulator_reference="JG-WEB-003", regulator_received_on="03/02/2026", customer_name="王五",
         mobile="1381234", content="理财产品销售误导。")  # fmt: skip
    wb.save(path)


def test_officer_uploads_previews_imports_and_finds_the_cases(page, org_tree, make_user, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    make_user(roles.HO_OFFICER, org_tree.ho, username="officer1")
    upload = tmp_path / "监管转办.xlsx"
    _workbook(upload)
    pg = page
    browser_login(pg, "officer1")
    with pg.expect_navigation():
        pg.click("main a[data-key=regulator_upload]")  # the home page's tile
    assert pg.url.endswith(reverse("integrations:regulator_upload"))

    pg.set_input_files("#id_file", str(upload))
    with pg.expect_navigation():
        pg.click("#upload-form button[type=submit]")
    counts = pg.inner_text("#batch-counts")
    assert "将新建 2" in counts and "有错误 1" in counts
    bad = pg.inner_text("#row-5")
    assert "B5" in bad and "日期无法识别" in bad and "F5" in bad
    assert "C0102" in pg.inner_text("#row-4")  # the cause read from the word 排队, shown before import
    assert "责任机构：朝阳支行" in pg.inner_text("#row-4")
    assert Complaint.objects.count() == 0  # the preview writes nothing
    assert "13812345678" not in pg.content()
    pg.screenshot(path=str(SHOTS / "regulator-1-preview.png"), full_page=True)

    with pg.expect_navigation():
        pg.click("#import-form button[type=submit]")
    assert "新建 2 件" in pg.inner_text(".messages")
    assert pg.locator("#row-3 a", has_text="VOC-").count() == 1
    assert "张先生" in pg.inner_text("#row-3") and "信用卡年费争议" in pg.inner_text("#row-3")  # from the case now
    assert pg.locator("#error-report a", has_text="Excel").count() == 1
    pg.screenshot(path=str(SHOTS / "regulator-2-imported.png"), full_page=True)

    created = list(Complaint.objects.order_by("pk"))
    assert [c.regulator_reference for c in created] == ["JG-WEB-001", "JG-WEB-002"]
    assert all(c.channel == "regulator" and c.is_regulator_referred for c in created)
    pg.goto(pg.base_url + reverse("complaints:list"))
    table = pg.inner_text("#case-table")
    assert all(c.reference in table for c in created)
    pg.screenshot(path=str(SHOTS / "regulator-3-case-list.png"), full_page=True)
