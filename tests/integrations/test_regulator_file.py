"""Reading a regulator transfer file (integrations.regulator_file): every value as typed, dates
in every form a spreadsheet gives them, and a clear refusal for a file that cannot be read."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from integrations.regulator_file import (
    COLUMNS,
    MAX_ROWS,
    NUMBER_LOST,
    SCIENTIFIC,
    FileProblem,
    MissingColumns,
    parse_date,
    read_file,
)

HEADERS = [c.zh for c in COLUMNS]
ID_X = "11010519491231002X"


def row(**values) -> list[str]:
    return [values.get(c.key, "") for c in COLUMNS]


def csv_bytes(rows: list[list], encoding: str = "utf-8", bom: bool = False) -> bytes:
    text = "\r\n".join(",".join(f'"{v}"' if "," in str(v) else str(v) for v in r) for r in rows) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def xlsx_bytes(build) -> bytes:
    wb = Workbook()
    build(wb.active)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


FIRST = row(
    regulator_reference="JG-2026-0001",
    regulator_received_on="2026-03-02",
    customer_name="张三",
    mobile="13812345678",
    id_number=ID_X,
    content="信用卡年费争议，要求退还。",
    branch="北京分行",
)


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", False), ("utf-8", True), ("gbk", False)], ids=["utf8", "utf8-bom", "gbk"]
)
def test_csv_in_utf8_with_or_without_bom_and_in_gbk_reads_the_same(encoding, bom):
    parsed = read_file(csv_bytes([HEADERS, FIRST], encoding, bom))
    assert parsed.file_format == "csv" and parsed.header_row == 1
    values = parsed.rows[0].values
    assert values["customer_name"] == "张三" and values["content"] == "信用卡年费争议，要求退还。"
    assert values["regulator_reference"] == "JG-2026-0001"  # no BOM glued to the first header
    assert parsed.rows[0].number == 2 and parsed.cell("mobile", 2) == "F2"


def test_csv_keeps_leading_zeros_and_the_id_numbers_x():
    data = csv_bytes([HEADERS, row(regulator_reference="0012", mobile="013812345678", id_number=ID_X.lower())])
    values = read_file(data).rows[0].values
    assert values["regulator_reference"] == "0012"
    assert values["mobile"] == "013812345678" and values["id_number"] == ID_X.lower()


def test_csv_number_in_scientific_notation_is_reported_not_guessed():
    parsed = read_file(csv_bytes([HEADERS, row(regulator_reference="R1", mobile="1.38123E+10")]))
    assert parsed.rows[0].problems == {"mobile": SCIENTIFIC}


def test_a_file_in_neither_encoding_is_refused():
    with pytest.raises(FileProblem, match="encoding"):
        read_file("监管编号".encode("utf-16-le") + b"\xff\xfe\xfd")


def test_xlsx_with_a_title_row_merged_group_headers_and_merged_cells_below():
    def build(ws):
        ws.append(["某银行监管转办投诉清单（2026年3月）"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
        ws.append(
            [
                "监管编号",
                "监管受理日期",
                "转办日期",
                "投诉人信息",
                None,
                None,
                None,
                "投诉摘要",
                "投诉内容",
                "被投诉机构",
            ]
        )
        ws.append([None, None, None, "投诉人姓名", "称谓", "联系电话", "证件号码", None, None, None])
        for col in (1, 2, 3, 8, 9, 10):  # vertically merged headers over both header rows
            ws.merge_cells(start_row=2, start_column=col, end_row=3, end_column=col)
        ws.merge_cells(start_row=2, start_column=4, end_row=2, end_column=7)
        ws.append(
            [
                "JG-1",
                datetime(2026, 3, 2),
                46085,
                "张三",
                "先生",
                "13812345678",
                ID_X,
                "年费",
                "未开卡收年费",
                "北京分行",
            ]
        )
        ws.append(["JG-2", "2026/3/3", "2026年3月4日", "李四", "女士", 13912345678, None, None, "柜面排队", None])
        ws.merge_cells("J4:J5")  # one branch for both rows

    parsed = read_file(xlsx_bytes(build))
    assert parsed.file_format == "xlsx" and parsed.header_row == 3
    first, second = (r.values for r in parsed.rows)
    assert first["regulator_received_on"] == "2026-03-02"  # an Excel date
    assert first["forwarded_on"] == "2026-03-04"  # a serial number: 46085 = 2026-03-04
    assert first["id_number"] == ID_X and first["customer_title"] == "先生"
    assert second["regulator_received_on"] == "2026/3/3" and second["forwarded_on"] == "2026年3月4日"
    assert second["mobile"] == "13912345678"  # a phone Excel stored as a number: all 11 digits
    assert first["branch"] == second["branch"] == "北京分行"  # the merged cell counts for both rows
    assert parsed.cell("mobile", 5) == "F5"


def test_xlsx_whose_first_sheet_is_instructions_is_read_from_the_sheet_with_the_header():
    wb = Workbook()
    wb.active.title = "填写说明"
    wb.active.append(["请按模板填写，日期写成 年-月-日"])
    data_sheet = wb.create_sheet("转办清单")
    data_sheet.append(HEADERS)
    data_sheet.append(FIRST)
    hidden = wb.create_sheet("旧表", 0)
    hidden.append(HEADERS)
    hidden.append(row(regulator_reference="HIDDEN"))
    hidden.sheet_state = "hidden"
    buf = io.BytesIO()
    wb.save(buf)
    parsed = read_file(buf.getvalue())
    assert [r.values["regulator_reference"] for r in parsed.rows] == ["JG-2026-0001"]


def test_xlsx_id_number_stored_as_a_number_is_reported_as_lost_digits():
    def build(ws):
        ws.append(HEADERS)
        ws.append(
            row(regulator_reference="JG-9", regulator_received_on="2026-03-02", content="x")[:6] + [110105194912310021]
        )

    parsed = read_file(xlsx_bytes(build))
    assert parsed.rows[0].problems == {"id_number": NUMBER_LOST}


def test_xlsx_text_cells_keep_leading_zeros():
    def build(ws):
        ws.append(HEADERS)
        ws.append(row(regulator_reference="000123", mobile="013812345678", id_number=ID_X))

    values = read_file(xlsx_bytes(build)).rows[0].values
    assert values["regulator_reference"] == "000123" and values["mobile"] == "013812345678"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-02", date(2026, 3, 2)),
        ("2026/3/2", date(2026, 3, 2)),
        ("2026.3.2", date(2026, 3, 2)),
        ("2026年3月2日", date(2026, 3, 2)),
        ("２０２６年３月２日", date(2026, 3, 2)),
        ("20260302", date(2026, 3, 2)),
        ("2026-03-02 14:30:00", date(2026, 3, 2)),
        ("46083", date(2026, 3, 2)),  # a serial number typed or exported as text
    ],
)
def test_dates_as_text_and_as_serial_numbers(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["03/02/2026", "2026-02-30", "昨天", "12", "99999"])
def test_ambiguous_or_impossible_dates_are_refused(text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_headers_by_alias_english_key_or_with_a_note_in_brackets():
    headers = ["转办编号", "受理日期（年-月-日）", "customer_name", "手机号", "投诉内容*"]
    parsed = read_file(csv_bytes([headers, ["R1", "2026-03-02", "王五", "13812345678", "内容"]]))
    values = parsed.rows[0].values
    assert values["regulator_reference"] == "R1" and values["regulator_received_on"] == "2026-03-02"
    assert values["customer_name"] == "王五" and values["mobile"] == "13812345678" and values["content"] == "内容"


def test_unknown_columns_are_listed_and_blank_lines_skipped():
    parsed = read_file(csv_bytes([[*HEADERS, "备注"], FIRST + ["内部备注"], [""] * (len(HEADERS) + 1), FIRST]))
    assert parsed.ignored == ["备注"] and [r.number for r in parsed.rows] == [2, 4]


def test_missing_required_columns_are_named():
    with pytest.raises(MissingColumns) as caught:
        read_file(csv_bytes([["投诉人姓名", "联系电话"], ["张三", "13812345678"]]))
    assert caught.value.names == ["监管编号", "监管受理日期", "投诉内容"]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "xls"),
        (b"PK\x03\x04truncated", "unreadable"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "binary"),
        (csv_bytes([["a", "b"], ["1", "2"]]), "no_header"),
        (csv_bytes([HEADERS]), "no_rows"),
    ],
)
def test_files_that_cannot_be_read_say_why(data, code):
    with pytest.raises(FileProblem) as caught:
        read_file(data)
    assert str(caught.value) == code


def test_too_many_rows_is_refused():
    with pytest.raises(FileProblem, match="too_many_rows"):
        read_file(csv_bytes([HEADERS] + [FIRST] * (MAX_ROWS + 1)))
