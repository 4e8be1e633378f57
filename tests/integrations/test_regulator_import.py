"""Regulator transfers through the pages: upload → per-row preview (nothing written) → import
through the intake service, the regulator's dates driving the existing clocks, idempotent
re-import, and the per-row error report that loses nothing a person typed."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.models import AuditEvent
from complaints.models import ClassificationCode, Complaint
from complaints.services import CustomerInput, complaint_register
from complaints.taxonomy_selectors import taxonomy_cache_clear
from integrations.models import RegulatorBatch, RegulatorRow
from integrations.regulator_file import COLUMNS
from workflow.selectors import clock_for

pytestmark = pytest.mark.django_db
HEADERS = [c.zh for c in COLUMNS]
TODAY = date(2026, 12, 7)  # a Monday


def line(**values) -> list[str]:
    return [values.get(c.key, "") for c in COLUMNS]


# A row the import takes as it is; the other rows say only how they differ from it (``variant``).
GOOD_VALUES = {
    "regulator_reference": "JG-2026-1201",
    "regulator_received_on": "2026-12-01",
    "forwarded_on": "2026/12/3",
    "customer_name": "张三",
    "customer_title": "先生",
    "mobile": "13812345678",
    "summary": "信用卡年费争议",
    "content": "消费者反映未开卡即被收取年费，要求退还。",
    "branch": "某银行北京分行朝阳支行",
    "code_a": "A0302 电话银行",
    "code_b": "B030202",
    "code_c": "C03",
}


def variant(**changes) -> list[str]:
    """GOOD with ``changes`` ("" empties a column)."""
    return line(**{**GOOD_VALUES, **changes})


GOOD = variant()
WORDS = line(
    regulator_reference="JG-2026-1202",
    regulator_received_on="2026年11月25日",
    forwarded_on="2026-12-03",
    customer_name="李四",
    customer_title="女士",
    id_number="11010519491231002x",
    content="信用卡年费收取不合理。客户多次致电未果。",
    code_b="年费",
)
BAD = variant(  # a date, a phone number and the content the import cannot take
    regulator_reference="JG-2026-1203",
    regulator_received_on="03/02/2026",
    customer_name="王五",
    mobile="1381234",
    content="",
)


def csv_file(rows: list[list[str]], name: str = "监管转办.csv", encoding: str = "utf-8-sig") -> SimpleUploadedFile:
    buf = io.StringIO()
    csv.writer(buf).writerows([HEADERS, *rows])
    return SimpleUploadedFile(name, buf.getvalue().encode(encoding), content_type="text/csv")


@pytest.fixture
def officer_client(client, ho_officer, pin_clock):
    pin_clock(TODAY)
    client.force_login(ho_officer)
    return client


def upload(client, rows, **kw):
    resp = client.post(reverse("integrations:regulator_upload"), {"file": csv_file(rows, **kw)})
    assert resp.status_code == 302, resp.content.decode()[:500]
    batch = RegulatorBatch.objects.latest("pk")
    assert resp["Location"] == reverse("integrations:regulator_batch", args=[batch.pk])
    return batch


def outcomes(batch) -> dict[int, str]:
    return dict(batch.rows.values_list("number", "outcome"))


def test_the_preview_says_what_each_row_will_do_and_writes_no_case(officer_client):
    batch = upload(officer_client, [GOOD, WORDS, BAD])
    assert Complaint.objects.count() == 0
    assert outcomes(batch) == {2: "new", 3: "new", 4: "error"}
    page = officer_client.get(reverse("integrations:regulator_batch", args=[batch.pk])).content.decode()
    # Each error names its cell, its column and the reason.
    assert "B4" in page and "日期无法识别" in page
    assert "F4" in page and "手机号码格式不正确" in page
    assert "I4" in page and "必填项为空" in page
    # What the check decided is shown before anything is written: codes, org, the clocks.
    assert "B030202" in page and "未提供A代码" in page and "转办时限 2026-11-30（监管转办已超时）" in page
    assert "答复时限 2026-12-18" in page and "责任机构：朝阳支行" in page
    # Customers masked as everywhere: no phone or ID number on the page.
    assert "13812345678" not in page and "11010519491231002" not in page and "张*" in page
    assert AuditEvent.objects.filter(action="regulator.batch_upload", object_id=str(batch.pk)).count() == 1


def test_import_registers_regulator_cases_whose_dates_drive_the_existing_clocks(officer_client, org_tree):
    batch = upload(officer_client, [GOOD, WORDS, BAD])
    resp = officer_client.post(reverse("integrations:regulator_import", args=[batch.pk]), follow=True)
    assert "新建 2 件" in resp.content.decode()
    assert outcomes(batch) == {2: "created", 3: "created", 4: "error"}
    good = Complaint.objects.get(regulator_reference="JG-2026-1201")
    assert good.channel == "regulator" and good.is_regulator_referred
    assert good.regulator_received_on == date(2026, 12, 1)
    # The bank received the transfer on 3 December: the 15-day clock runs from then (Civil Code count).
    assert timezone.localtime(good.received_at).date() == date(2026, 12, 3)
    assert good.due_date == date(2026, 12, 18)
    assert good.responsible_org == org_tree.bj_cy  # the most specific org the hint names
    assert (good.code_a.code, good.code_b.code, good.code_c.code) == ("A0302", "B030202", "C03")
    clock = clock_for(good)
    assert clock.regulator_forward_due == date(2026, 12, 4) and clock.regulator_forwarded_in_time is True
    words = Complaint.objects.get(regulator_reference="JG-2026-1202")
    assert (words.code_a.code, words.code_b.code, words.code_c.code) == ("A99", "B030202", "C99")
    assert words.summary == "信用卡年费收取不合理。"  # the content's first sentence
    assert clock_for(words).regulator_forwarded_in_time is False  # received 25 Nov, due 30 Nov
    assert words.customer.id_number_hash  # the lower-case x was accepted as the check character
    # The rows that became cases no longer keep their own copy of the customer's numbers.
    assert set(batch.rows.filter(outcome="created").values_list("data_encrypted", flat=True)) == {""}
    assert batch.rows.get(number=4).data_encrypted
    page = officer_client.get(reverse("workflow:case", args=[good.pk])).content.decode()
    assert "JG-2026-1201" in page
    batch_page = officer_client.get(reverse("integrations:regulator_batch", args=[batch.pk])).content.decode()
    assert good.reference in batch_page and "张先生" in batch_page  # a done row shows its case


def test_importing_the_same_file_again_creates_nothing(officer_client):
    first = upload(officer_client, [GOOD, WORDS])
    officer_client.post(reverse("integrations:regulator_import", args=[first.pk]))
    assert Complaint.objects.count() == 2
    again = upload(officer_client, [GOOD, WORDS])
    assert outcomes(again) == {2: "duplicate", 3: "duplicate"}
    page = officer_client.get(reverse("integrations:regulator_batch", args=[again.pk])).content.decode()
    case = Complaint.objects.get(regulator_reference="JG-2026-1201")
    assert case.reference in page and "不重复导入" in page and 'id="import-form"' not in page
    officer_client.post(reverse("integrations:regulator_import", args=[again.pk]))
    officer_client.post(reverse("integrations:regulator_import", args=[first.pk]))  # the first batch again
    assert Complaint.objects.count() == 2
    assert RegulatorRow.objects.get(batch=again, number=2).complaint == case


def test_a_reference_registered_after_the_preview_is_skipped_and_linked(officer_client, ho_officer, org_tree):
    batch = upload(officer_client, [GOOD])
    earlier = complaint_register(
        actor=ho_officer,
        channel="regulator",
        regulator_reference="JG-2026-1201",
        code_a="A0302",
        code_b="B030202",
        code_c="C03",
        summary="坐席先登记了",
        customer=CustomerInput(name="张三", mobile="13812345678"),
        responsible_org=org_tree.bj,
    )
    officer_client.post(reverse("integrations:regulator_import", args=[batch.pk]))
    row = batch.rows.get()
    assert row.outcome == "skipped" and row.complaint == earlier and Complaint.objects.count() == 1


def test_the_same_reference_twice_in_one_file_is_an_error_on_the_second(officer_client):
    batch = upload(officer_client, [GOOD, GOOD])
    assert outcomes(batch) == {2: "new", 3: "error"}
    assert batch.rows.get(number=3).errors[0]["message"] == "与第 2 行的监管编号重复。"


@pytest.fixture
def fresh_taxonomy():
    yield
    taxonomy_cache_clear()  # the next test must not see a code this one retired


def test_what_the_registration_refuses_at_import_is_kept_on_the_row(officer_client, fresh_taxonomy):
    batch = upload(officer_client, [GOOD])
    ClassificationCode.objects.filter(code="B030202").update(valid_to=date(2026, 12, 1))  # retired meanwhile
    taxonomy_cache_clear()
    officer_client.post(reverse("integrations:regulator_import", args=[batch.pk]))
    row = batch.rows.get()
    assert row.outcome == "failed" and row.errors[0]["cell"] == "L2" and "停用" in row.errors[0]["message"]
    assert row.data_encrypted and Complaint.objects.count() == 0


def _body(resp) -> bytes:
    return b"".join(resp.streaming_content) if resp.streaming else resp.content


def _report(client, batch, fmt: str) -> list[list[str]]:
    resp = client.get(reverse("integrations:regulator_errors", args=[batch.pk, fmt]))
    assert resp.status_code == 200
    body = _body(resp)
    if fmt == "csv":
        return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(body)).active
    return [["" if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_error_report_gives_back_each_bad_row_as_typed_with_its_cell_and_reason(officer_client, fmt):
    formula = variant(
        regulator_reference="JG-2026-1299",
        mobile="13812345679",
        content='=HYPERLINK("http://evil","点我")',
        code_b="B9999",
    )
    batch = upload(officer_client, [GOOD, BAD, formula])
    table = _report(officer_client, batch, fmt)
    assert table[0] == ["行号", *HEADERS, "错误说明"]
    bad, evil = table[1], table[2]
    assert bad[0] == "3" and bad[1:-1] == BAD  # every cell as typed, the phone number included
    assert "B3 监管受理日期：日期无法识别" in bad[-1] and "F3 联系电话" in bad[-1]
    assert evil[1 + HEADERS.index("投诉内容")].startswith("'=HYPERLINK")  # never a live formula
    assert "L4 业务代码：未知的分类代码：B9999" in evil[-1]
    assert AuditEvent.objects.filter(action="regulator.error_report", object_id=str(batch.pk)).count() == 1


def test_a_corrected_error_report_can_be_uploaded_again(officer_client):
    batch = upload(officer_client, [GOOD, BAD])
    officer_client.post(reverse("integrations:regulator_import", args=[batch.pk]))
    table = _report(officer_client, batch, "csv")
    fixed = table[1][1:-1]
    fixed[HEADERS.index("监管受理日期")] = "2026-12-02"
    fixed[HEADERS.index("联系电话")] = "13812341234"
    fixed[HEADERS.index("投诉内容")] = "网点排队时间过长。"
    buf = io.StringIO()
    csv.writer(buf).writerows([table[0], [table[1][0], *fixed, table[1][-1]]])  # 行号/错误说明 are ignored
    resp = officer_client.post(
        reverse("integrations:regulator_upload"), {"file": SimpleUploadedFile("fixed.csv", buf.getvalue().encode())}
    )
    again = RegulatorBatch.objects.latest("pk")
    assert resp.status_code == 302 and outcomes(again) == {2: "new"} and again.ignored_columns == ["行号", "错误说明"]
    officer_client.post(reverse("integrations:regulator_import", args=[again.pk]))
    assert Complaint.objects.filter(regulator_reference="JG-2026-1203").count() == 1


def test_a_gbk_csv_from_excel_is_read(officer_client):
    batch = upload(officer_client, [GOOD], encoding="gbk")
    assert outcomes(batch) == {2: "new"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "不支持旧版 .xls 文件"),
        ("投诉人姓名,联系电话\n张三,13812345678\n".encode(), "缺少必填列：监管编号、监管受理日期、投诉内容"),
        (b"PK\x03\x04broken", "无法读取该 Excel 文件"),
        (b"", "文件是空的"),
    ],
)
def test_a_file_that_cannot_be_read_keeps_nothing_and_says_why(officer_client, data, message):
    resp = officer_client.post(reverse("integrations:regulator_upload"), {"file": SimpleUploadedFile("x.xlsx", data)})
    assert resp.status_code == 400 and message in resp.content.decode()
    assert not RegulatorBatch.objects.exists()


@pytest.mark.parametrize(
    ("role", "at_branch"),
    [(roles.HO_APPROVER, False), (roles.AUDITOR, False), (roles.AGENT, False), (roles.BRANCH_MANAGER, True)],
)
def test_only_head_office_complaint_officers_import(client, org_tree, make_user, ho_officer, role, at_branch):
    batch = RegulatorBatch.objects.create(
        created_by=ho_officer, filename="x.csv", file_format="csv", sha256="0", header_row=1
    )
    client.force_login(make_user(role, org_tree.bj if at_branch else org_tree.ho))
    for url in (
        reverse("integrations:regulator_upload"),
        reverse("integrations:regulator_template", args=["xlsx"]),
        reverse("integrations:regulator_batch", args=[batch.pk]),
        reverse("integrations:regulator_errors", args=[batch.pk, "csv"]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("integrations:regulator_import", args=[batch.pk])).status_code == 404


def test_the_downloadable_template_is_read_back_by_the_importer(officer_client):
    from integrations.regulator_file import read_file

    for fmt in ("xlsx", "csv"):
        parsed = read_file(_body(officer_client.get(reverse("integrations:regulator_template", args=[fmt]))))
        assert list(parsed.letters) == [c.key for c in COLUMNS] and len(parsed.rows) == 1
        assert parsed.rows[0].values["regulator_reference"] == "JG-2026-000123"


def test_received_at_is_never_in_the_future_when_forwarded_today(officer_client):
    batch = upload(officer_client, [variant(forwarded_on="2026-12-07")])
    officer_client.post(reverse("integrations:regulator_import", args=[batch.pk]))
    case = Complaint.objects.get()
    assert case.received_at <= timezone.now() and timezone.localtime(case.received_at).date() == TODAY
    assert case.due_date == date(2026, 12, 22)
    assert isinstance(case.received_at, datetime)
