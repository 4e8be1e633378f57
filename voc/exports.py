"""Export files both the reports and the regulator's files are written with: CSV (constant memory,
row by row, with a BOM so Excel reads Chinese) and XLSX (openpyxl write-only, typed cells with
number formats). Every cell of every table goes through ``safe_cell`` (formula-injection guard).

A neutral home (issue 13): analytics (the case export, reports) and integrations (the regulator's
files) both write with it, and neither imports the other. What goes in a file is the caller's: its
``Column`` list and its rows.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation

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
