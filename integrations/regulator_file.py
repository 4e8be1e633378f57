"""Reading a regulator's transfer file (监管转办清单): XLSX or CSV into rows of text, as typed.

Pure: the standard library and openpyxl, no Django. The column template is documented in
docs/regulator-transfers.md; ``COLUMNS`` is its one definition (the downloadable template,
the parser and the error report all read it).

What the reader does, so that nothing a person typed is changed on the way in:
- the header row is found among the first rows (a title row or a merged group header above it
  is fine); headers are matched by their Chinese name, an alias or the English key, ignoring
  spaces, "*" marks and a note in brackets ("监管受理日期（年-月-日）");
- merged cells count as their top-left value in every cell they cover (a branch merged over
  several rows belongs to each of them);
- every value stays text: a phone or ID number keeps its leading zeros and its X; an ID number
  Excel stored as a number (its last digits are lost beyond 15) is reported, not guessed;
- dates may be Excel dates, Excel serial numbers, or text (2026-03-02, 2026/3/2, 2026.3.2,
  2026年3月2日, 20260302); they are written back as ISO text (2026-03-02);
- CSV comes as UTF-8 (with or without BOM) or GBK/GB18030; a file in neither is refused.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 1000
MAX_UNZIPPED = 50 * 1024 * 1024  # an XLSX that inflates beyond this is refused (zip bomb)
HEADER_SEARCH_ROWS = 10
EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 (Excel's 1900 leap-year bug included)
SERIAL_RANGE = (36526, 73051)  # 2000-01-01 .. 2099-12-31 as Excel serial numbers


@dataclass(frozen=True)
class Column:
    key: str  # English key (the header under the English UI)
    zh: str  # the template's Chinese header
    aliases: tuple[str, ...] = ()
    required: bool = False
    kind: str = "text"  # text | date | number (a number someone typed: phone, ID)


COLUMNS: tuple[Column, ...] = (
    Column("regulator_reference", "监管编号", ("转办编号", "监管转办编号", "投诉编号", "工单编号", "编号"), True),
    Column("regulator_received_on", "监管受理日期", ("受理日期", "登记日期", "收到日期", "监管收到日期"), True, "date"),
    Column("forwarded_on", "转办日期", ("转送日期", "下发日期", "本行收到日期", "交办日期"), kind="date"),
    Column("customer_name", "投诉人姓名", ("投诉人", "客户姓名", "姓名", "消费者姓名")),
    Column("customer_title", "称谓", ("性别", "称呼")),
    Column("mobile", "联系电话", ("手机号", "手机号码", "电话", "联系方式", "投诉人电话"), kind="number"),
    Column("id_number", "证件号码", ("身份证号", "身份证号码", "证件号"), kind="number"),
    Column("summary", "投诉摘要", ("摘要", "投诉事由", "标题")),
    Column("content", "投诉内容", ("内容", "投诉详情", "诉求内容", "投诉请求及事实理由"), True),
    Column("branch", "被投诉机构", ("机构", "涉及机构", "被投诉分支机构", "承办机构")),
    Column(
        "code_a",
        "渠道代码",
        (
            "A代码",
            "渠道",
        ),
    ),
    Column("code_b", "业务代码", ("B代码", "业务类别", "业务")),
    Column("code_c", "原因代码", ("C代码", "投诉原因", "原因")),
)
BY_KEY = {c.key: c for c in COLUMNS}


class FileProblem(ValueError):
    """The file as a whole cannot be read (wrong type, encoding, columns, size): nothing is kept."""


@dataclass
class Row:
    number: int  # the row number as the spreadsheet shows it (1-based, header rows counted)
    values: dict[str, str]  # column key -> text as typed ("" when blank)
    problems: dict[str, str] = field(default_factory=dict)  # column key -> what is wrong with the cell


@dataclass
class ParsedFile:
    file_format: str  # "xlsx" | "csv"
    header_row: int
    letters: dict[str, str]  # column key -> column letter in the file (for "C5"-style cell names)
    ignored: list[str]  # headers that are not in the template (kept out, listed in the preview)
    rows: list[Row]
    encoding: str = ""

    def cell(self, key: str, number: int) -> str:
        letter = self.letters.get(key, "")
        return f"{letter}{number}" if letter else f"{number}"


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _norm_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text or ""))
    text = re.sub(r"[(\[（【].*?[)\]）】]", "", text)  # a note in brackets: （yyyy-mm-dd）
    return re.sub(r"[\s*＊:：_\-]", "", text).lower()


_HEADER_NAMES: dict[str, str] = {}
for _c in COLUMNS:
    for _name in (_c.zh, _c.key, *_c.aliases):
        _HEADER_NAMES.setdefault(_norm_header(_name), _c.key)


def header_key(text: str) -> str | None:
    """The column key a header names, or None."""
    return _HEADER_NAMES.get(_norm_header(text))


# --- dates -------------------------------------------------------------------------------------

_DATE_PATTERNS = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)


def serial_to_date(serial: float) -> date | None:
    """An Excel serial day number (1900 system) as a date, if it is a plausible one."""
    if not SERIAL_RANGE[0] <= serial <= SERIAL_RANGE[1]:
        return None
    return EXCEL_EPOCH + timedelta(days=int(serial))


def parse_date(text: str) -> date:
    """A date as people and spreadsheets write it; ValueError with the reason otherwise.

    Day-first or month-first forms such as 03/02/2026 are refused: they are ambiguous."""
    value = unicodedata.normalize("NFKC", str(text or "")).strip()
    if not value:
        raise ValueError("empty")
    if re.fullmatch(r"\d{5}(?:\.0+)?", value):  # a serial number that lost its date format
        found = serial_to_date(float(value))
        if found is None:
            raise ValueError("serial")
        return found
    for pattern in _DATE_PATTERNS:
        m = pattern.fullmatch(value)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            return date(y, mo, d)  # ValueError for 2026-02-30
    raise ValueError("format")


# --- cells -------------------------------------------------------------------------------------

NUMBER_LOST = "number_lost"  # a long number Excel stored as a number: its last digits are gone
SCIENTIFIC = "scientific"  # a number shown in scientific notation (1.38E+10): digits are gone
DATE_NUMBER = "date_number"  # a date column holds a number that is no plausible date


def _cell_text(value, kind: str) -> tuple[str, str]:
    """(text, problem) of one spreadsheet cell as typed."""
    if value is None:
        return "", ""
    if isinstance(value, datetime):
        if kind == "date":
            return value.date().isoformat(), ""
        return (value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")), ""
    if isinstance(value, date):
        return value.isoformat(), ""
    if isinstance(value, bool):
        return ("是" if value else "否"), ""
    if isinstance(value, (int, float)):
        if kind == "date":
            found = serial_to_date(float(value))
            return (found.isoformat(), "") if found else (_number_text(value), DATE_NUMBER)
        text = _number_text(value)
        if kind == "number" and (isinstance(value, float) and abs(value) >= 1e15 or len(text) > 15):
            return text, NUMBER_LOST  # doubles keep 15-16 significant digits: an 18-digit ID is already cut
        return text, ""
    text = str(value).strip()
    if kind == "number" and re.fullmatch(r"\d(?:\.\d+)?[eE]\+\d+", text):
        return text, SCIENTIFIC
    return text, ""


def _number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e16 else f"{value:.0f}"
    return str(value)


# --- files -------------------------------------------------------------------------------------


def sniff_format(data: bytes) -> str:
    if not data:
        raise FileProblem("empty")
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileProblem("xls")
    if b"\x00" in data[:4096]:
        raise FileProblem("binary")
    return "csv"


def decode_csv(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 with or without BOM, else GB18030 (a superset of GBK)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gbk"
    except UnicodeDecodeError:
        raise FileProblem("encoding") from None


def _csv_grid(data: bytes) -> tuple[list[list], str]:
    text, encoding = decode_csv(data)
    sample = text[:4096]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)], encoding


def _xlsx_grids(data: bytes) -> list[list[list]]:
    """The visible sheets' cells (a workbook may open with an instructions sheet)."""
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(i.file_size for i in archive.infolist()) > MAX_UNZIPPED:
                raise FileProblem("too_big")
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    except FileProblem:
        raise
    except Exception:  # truncated or not a workbook: zipfile, XML and key errors alike
        raise FileProblem("unreadable") from None
    sheets = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
    if not sheets:
        raise FileProblem("unreadable")
    return [_sheet_grid(ws) for ws in sheets]


def _sheet_grid(sheet) -> list[list]:
    if sheet.max_row > MAX_ROWS + HEADER_SEARCH_ROWS + 50:
        raise FileProblem("too_many_rows")
    grid = [list(r) for r in sheet.iter_rows(values_only=True)]
    # A merged range shows its top-left value in each cell it covers.
    for merged in sheet.merged_cells.ranges:
        top = grid[merged.min_row - 1][merged.min_col - 1] if merged.min_row <= len(grid) else None
        for r in range(merged.min_row - 1, min(merged.max_row, len(grid))):
            row = grid[r]
            row.extend([None] * (merged.max_col - len(row)))
            for c in range(merged.min_col - 1, merged.max_col):
                row[c] = top
    return grid


def _find_header(grid: list[list]) -> tuple[int, dict[str, int], list[str]]:
    best: tuple[int, dict[str, int], list[str]] | None = None
    for i, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        found: dict[str, int] = {}
        ignored: list[str] = []
        for j, cell in enumerate(row):
            text = "" if cell is None else str(cell).strip()
            if not text:
                continue
            key = header_key(text)
            if key and key not in found:
                found[key] = j
            elif not key:
                ignored.append(text)
        if found and (best is None or len(found) > len(best[1])):
            best = (i, found, ignored)
    if best is None:
        raise FileProblem("no_header")
    return best


def missing_columns(found: dict[str, int]) -> list[str]:
    return [c.zh for c in COLUMNS if c.required and c.key not in found]


class MissingColumns(FileProblem):
    def __init__(self, names: list[str]):
        super().__init__("missing_columns")
        self.names = names


def read_file(data: bytes) -> ParsedFile:
    """The rows of a transfer file; FileProblem (with a code, see ``problem_message``) if unreadable."""
    if len(data) > MAX_BYTES:
        raise FileProblem("too_big")
    file_format = sniff_format(data)
    encoding = ""
    if file_format == "xlsx":
        grids = _xlsx_grids(data)
    else:
        grid, encoding = _csv_grid(data)
        grids = [grid]
    found = None
    for grid in grids:  # the first sheet with the template's header
        try:
            found = (grid, *_find_header(grid))
            break
        except FileProblem:
            continue
    if found is None:
        raise FileProblem("no_header")
    grid, header_index, positions, ignored = found
    missing = missing_columns(positions)
    if missing:
        raise MissingColumns(missing)
    rows: list[Row] = []
    for offset, raw in enumerate(grid[header_index + 1 :], start=header_index + 2):
        values: dict[str, str] = {}
        problems: dict[str, str] = {}
        for key, j in positions.items():
            text, problem = _cell_text(raw[j] if j < len(raw) else None, BY_KEY[key].kind)
            values[key] = text
            if problem:
                problems[key] = problem
        if not any(values.values()):
            continue  # a blank line between blocks, or the sheet's formatted but empty tail
        rows.append(Row(offset, {c.key: values.get(c.key, "") for c in COLUMNS}, problems))
        if len(rows) > MAX_ROWS:
            raise FileProblem("too_many_rows")
    if not rows:
        raise FileProblem("no_rows")
    letters = {key: column_letter(j) for key, j in positions.items()}
    return ParsedFile(file_format, header_index + 1, letters, ignored, rows, encoding)
