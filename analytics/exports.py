"""Streaming exports: CSV (constant memory, row by row) and XLSX (openpyxl write-only).

The case schema is documented in analytics/EXPORT_SCHEMA.md (modelled on the CFPB
consumer complaint database). Exports never carry phone, ID or card numbers; free
text is passed through ``complaints.pii.mask_text``. Every cell of every table goes
through ``safe_cell`` in the two writers below (formula-injection guard).
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import BooleanField, Case, F, QuerySet, Value, When
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation

from complaints.models import Complaint
from complaints.pii import mask_text
from complaints.states import OPEN_STATES, CaseState

from .rollup import verification_condition
from .selectors.base import code_names

CHUNK_SIZE = 2000
FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class Column:
    """One export column: its schema key (English, documented in EXPORT_SCHEMA.md), its
    Chinese header and the kind of value, which decides the XLSX number format."""

    key: str
    zh: str
    kind: str = "text"  # text | int | number | money | pct (in percent units) | sci | date | datetime


# Excel number formats per kind; a percentage is stored as a fraction (25.3 -> 0.253, shown 25.3%).
NUMBER_FORMATS = {
    "int": "0",
    "number": "0.0",
    "money": "#,##0.00",
    "pct": "0.0%",
    "sci": "0.00E+00",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm:ss",
}


def header_row(columns: Sequence[Column], *, keys: bool | None = None) -> list[str]:
    """Chinese headers by default; the schema keys under the English UI (or when asked)."""
    if keys is None:
        keys = (translation.get_language() or "").startswith("en")
    return [c.key if keys else c.zh for c in columns]


CASE_SCHEMA = (
    Column("complaint_id", "投诉编号"),
    Column("date_received", "受理日期", "date"),
    Column("product_code", "产品代码"),
    Column("product", "产品"),
    Column("sub_product_code", "子产品代码"),
    Column("sub_product", "子产品"),
    Column("business_code", "业务代码"),
    Column("issue_code", "原因代码"),
    Column("issue", "原因"),
    Column("sub_issue_code", "子原因代码"),
    Column("sub_issue", "子原因"),
    Column("channel_code", "渠道代码"),
    Column("channel", "渠道"),
    Column("submitted_via", "受理方式"),
    Column("company_unit", "责任机构"),
    Column("branch", "分行"),
    Column("status", "状态"),
    Column("company_response", "处理结果"),
    Column("monetary_relief", "补偿金额（元）", "money"),
    Column("timely", "按时答复"),
    Column("disputed", "客户申请核实"),
    Column("date_decided", "决定日期", "date"),
    Column("tags", "标签"),
    Column("customer", "客户"),
    Column("summary", "投诉摘要"),
)
CASE_COLUMNS = tuple(c.key for c in CASE_SCHEMA)

_RESULT = dict(Complaint.Result.choices)
_VIA = dict(Complaint.Channel.choices)
_STATES = dict(CaseState.choices)


# Formula (CSV/Excel) injection guard. Summaries, improvement titles and names are typed
# by customers (public web form) and staff; Excel evaluates a CSV cell starting with one of
# these characters as a formula, and openpyxl stores such a string as a live formula. Head
# office opens these files, so a text cell that starts like a formula gets a leading "'"
# (OWASP CSV-injection guidance). Full-width forms are included because Chinese input
# methods type them. Numbers, dates and text that is just a number ("-66.7") are left alone.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def safe_cell(value):
    """``value`` as it may go into a CSV/XLSX cell: formula-like text prefixed with "'"."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def _name(code: str, names) -> str:
    return names.get(code, ("", ""))[0]


def case_rows(qs: QuerySet[Complaint]) -> Iterator[list]:
    """One export row per case, read in chunks (values only: no model instances, no per-row queries)."""
    names = code_names()
    now = timezone.now()
    fields = qs.annotate(
        _a=F("code_a__code"),
        _b=F("code_b__code"),
        _c=F("code_c__code"),
        _org=F("responsible_org__code"),
        _path=F("responsible_org__path"),
        _surname=F("customer__surname"),
        _title=F("customer__title"),
        _disputed=Case(
            When(verification_condition(), then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
    ).values_list(
        "reference",
        "received_at",
        "_a",
        "_b",
        "_c",
        "channel",
        "_org",
        "_path",
        "status",
        "result",
        "redress_amount",
        "decided_at",
        "is_elderly",
        "is_repeat",
        "is_regulator_referred",
        "is_group_impact",
        "has_media_risk",
        "_surname",
        "_title",
        "summary",
        "_disputed",
        "id",
        "extension_level",
        "responded_at",
        "closed_at",
    )
    titles = {"mr": "先生", "ms": "女士"}
    for (
        ref, received, a, b, c, via, org, path, status, result, redress, decided,
        elderly, repeat, regulator, group, media, surname, title, summary, disputed, timely,
    ) in _with_timeliness(fields.iterator(chunk_size=CHUNK_SIZE), now):  # fmt: skip
        received_local = timezone.localtime(received)
        if status in OPEN_STATES:
            response = "处理中"
        elif result:
            response = _RESULT.get(result, result)
        else:
            response = _STATES.get(status, status)
        tags = [
            label
            for flag, label in (
                (elderly, "老年客户"),
                (repeat, "重复投诉"),
                (regulator, "监管转办"),
                (group, "群体性"),
                (media, "舆情风险"),
            )
            if flag
        ]
        c1 = c[:3]
        yield [
            ref,
            received_local.date(),
            b[:3],
            _name(b[:3], names),
            b[:5],
            _name(b[:5], names),
            b,
            c1,
            _name(c1, names),
            c if len(c) > 3 else "",
            _name(c, names) if len(c) > 3 else "",
            a,
            _name(a, names),
            str(_VIA.get(via, via)),
            org,
            (path.split("/")[1] if path and path.count("/") >= 2 else org),
            str(_STATES.get(status, status)),
            str(response),
            redress if redress else None,
            timely,
            "是" if disputed else "否",
            timezone.localtime(decided).date() if decided else None,
            ";".join(tags),
            f"{surname}{titles.get(title, '客户')}" if surname else "",
            mask_text(summary or ""),
        ]


def _with_timeliness(rows: Iterator[tuple], now) -> Iterator[tuple]:
    """Each row's first 21 values plus its ``timely`` (是/否/""), from the one decision-clock
    function the case page uses (``workflow.timeliness``), a chunk of rows at a time."""
    from workflow.timeliness import timeliness_many, timely_label

    def flush(chunk: list[tuple]) -> Iterator[tuple]:
        keys = [
            {"id": r[21], "status": r[8], "received_at": r[1], "extension_level": r[22], "responded_at": r[23],
             "closed_at": r[24]}
            for r in chunk
        ]  # fmt: skip
        found = timeliness_many(keys, now=now)
        for r in chunk:
            yield (*r[:21], timely_label(found[r[21]]))

    chunk: list[tuple] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK_SIZE:
            yield from flush(chunk)
            chunk = []
    if chunk:
        yield from flush(chunk)


def _naive_local(value: datetime) -> datetime:
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


def csv_text(value, kind: str = "text"):
    """A typed value as CSV text: ISO dates, 2-decimal money, plain numbers, "" for none."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _naive_local(value).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if kind == "money" and isinstance(value, (int, float, Decimal)):
        return f"{value:.2f}"
    if kind == "sci" and isinstance(value, float):
        return f"{value:.3g}"
    return safe_cell(value)


def stream_csv(
    filename: str, columns: Sequence[Column], rows: Iterable[Sequence], *, keys: bool | None = None
) -> StreamingHttpResponse:
    """CSV with a UTF-8 BOM (Excel opens Chinese text correctly), produced row by row."""
    writer = csv.writer(_Echo())
    kinds = [c.kind for c in columns]
    header = header_row(columns, keys=keys)

    def generate() -> Iterator[str]:
        yield "\ufeff" + writer.writerow([safe_cell(v) for v in header])
        for row in rows:
            yield writer.writerow([csv_text(v, k) for v, k in zip(row, kinds, strict=True)])

    response = StreamingHttpResponse(generate(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_cell(worksheet, value, kind: str):
    """A write-only cell: numbers as numbers with the column's number format, dates as dates,
    text through the formula guard. A numeric column's text (e.g. ">72") stays text."""
    from openpyxl.cell import WriteOnlyCell

    if value is None or value == "":
        return None
    if isinstance(value, (bool, str)):
        return WriteOnlyCell(worksheet, safe_cell(str(value) if isinstance(value, bool) else value))
    if isinstance(value, datetime):
        value, kind = _naive_local(value), "datetime"
    elif isinstance(value, date):
        kind = "date"
    elif isinstance(value, Decimal):
        value = float(value)
    if kind == "pct" and isinstance(value, (int, float)):
        value = value / 100
    cell = WriteOnlyCell(worksheet, value)
    if kind in NUMBER_FORMATS:
        cell.number_format = NUMBER_FORMATS[kind]
    elif isinstance(value, float):
        cell.number_format = NUMBER_FORMATS["number"]
    return cell


def xlsx_response(
    filename: str, columns: Sequence[Column], rows: Iterable[Sequence], sheet: str = "data", *, keys: bool | None = None
) -> FileResponse:
    """XLSX written in openpyxl's write-only mode (rows go to a temp file, not memory)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])
    worksheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for text in header_row(columns, keys=keys):
        cell = WriteOnlyCell(worksheet, safe_cell(text))
        cell.font = bold
        header.append(cell)
    worksheet.append(header)
    kinds = [c.kind for c in columns]
    for row in rows:
        worksheet.append([xlsx_cell(worksheet, v, k) for v, k in zip(row, kinds, strict=True)])
    # Closed by FileResponse when the download finishes.
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{filename}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def export_response(fmt: str, filename: str, columns: Sequence[Column], rows: Iterable[Sequence], *, keys=None):
    if fmt == "xlsx":
        return xlsx_response(filename, columns, rows, keys=keys)
    return stream_csv(filename, columns, rows, keys=keys)
