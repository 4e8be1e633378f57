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

from django.db.models import BooleanField, Case, F, QuerySet, Value, When
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from complaints.models import Complaint
from complaints.pii import mask_text
from workflow.states import OPEN_STATES, CaseState

from .rollup import verification_condition
from .selectors.base import code_names

CHUNK_SIZE = 2000
FORMATS = ("csv", "xlsx")

CASE_COLUMNS = (
    "complaint_id",
    "date_received",
    "product_code",
    "product",
    "sub_product_code",
    "sub_product",
    "business_code",
    "issue_code",
    "issue",
    "sub_issue_code",
    "sub_issue",
    "channel_code",
    "channel",
    "submitted_via",
    "company_unit",
    "branch",
    "status",
    "company_response",
    "monetary_relief",
    "timely",
    "disputed",
    "date_decided",
    "tags",
    "customer",
    "summary",
)

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
            received_local.date().isoformat(),
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
            f"{redress:.2f}" if redress else "",
            timely,
            "是" if disputed else "否",
            timezone.localtime(decided).date().isoformat() if decided else "",
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


def stream_csv(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> StreamingHttpResponse:
    """CSV with a UTF-8 BOM (Excel opens Chinese text correctly), produced row by row."""
    writer = csv.writer(_Echo())

    def generate() -> Iterator[str]:
        yield "\ufeff" + writer.writerow([safe_cell(v) for v in header])
        for row in rows:
            yield writer.writerow([safe_cell(v) for v in row])

    response = StreamingHttpResponse(generate(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(filename: str, header: Sequence[str], rows: Iterable[Sequence], sheet: str = "data") -> FileResponse:
    """XLSX written in openpyxl's write-only mode (rows go to a temp file, not memory)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])
    worksheet.append([safe_cell(v) for v in header])
    for row in rows:
        worksheet.append(["" if v is None else safe_cell(v) for v in row])
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


def export_response(fmt: str, filename: str, header: Sequence[str], rows: Iterable[Sequence]):
    if fmt == "xlsx":
        return xlsx_response(filename, header, rows)
    return stream_csv(filename, header, rows)
