"""Files for the regulator: the blank transfer template, a batch's error report, and the results
of regulator-referred cases in the regulator's template (docs/regulator-transfers.md).

All three are written by the shared export writer (``voc.exports``): CSV with a BOM,
XLSX in write-only mode, and every cell through the formula-injection guard ``safe_cell``.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import F, QuerySet
from django.utils import timezone

from complaints.models import Complaint
from complaints.states import OPEN_STATES, CaseState
from voc.exports import Column, export_response

from .models import RegulatorBatch, RegulatorRow
from .regulator_file import COLUMNS

# The upload template: the regulator's column names, in order (headers are always Chinese, as the
# regulator's files are; the reader also takes the English keys).
TEMPLATE = tuple(Column(c.key, c.zh) for c in COLUMNS)
EXAMPLE = {
    "regulator_reference": "JG-2026-000123",
    "regulator_received_on": "2026-03-02",
    "forwarded_on": "2026-03-04",
    "customer_name": "张三",
    "customer_title": "先生",
    "mobile": "",
    "id_number": "",
    "summary": "信用卡年费争议",
    "content": "消费者反映未开卡即被收取信用卡年费，要求退还。",
    "branch": "北京分行",
    "code_a": "A0302",
    "code_b": "B030202",
    "code_c": "C03",
}
ERROR_REPORT = (Column("row", "行号", "int"), *TEMPLATE, Column("errors", "错误说明"))

RESULTS = (
    Column("regulator_reference", "监管编号"),
    Column("complaint_id", "本行投诉编号"),
    Column("regulator_received_on", "监管受理日期", "date"),
    Column("date_received", "本行收到日期", "date"),
    Column("company_unit", "责任机构"),
    Column("customer", "投诉人"),
    Column("status", "办理状态"),
    Column("result", "处理结果"),
    Column("redress_type", "补偿方式"),
    Column("monetary_relief", "补偿金额（元）", "money"),
    Column("decision_due", "答复时限", "date"),
    Column("date_responded", "答复客户日期", "date"),
    Column("date_closed", "办结日期", "date"),
    Column("timely", "是否按时答复"),
)
_RESULT = dict(Complaint.Result.choices)
_STATES = dict(CaseState.choices)
_TITLES = {"mr": "先生", "ms": "女士"}


def template_response(fmt: str):
    """The blank template with one example row (its numbers left blank: no real person's)."""
    return export_response(
        fmt, "regulator-transfer-template", TEMPLATE, [[EXAMPLE[c.key] for c in TEMPLATE]], keys=False
    )


def error_rows(batch: RegulatorBatch, rows: list[RegulatorRow], values_of) -> list[list]:
    """The rows with errors, as typed, plus what is wrong with each (by cell)."""
    out = []
    for row in rows:
        values, _problems = values_of(row)
        message = "；".join(
            f"{e.get('cell') or ''} {e.get('header') or ''}：{e['message']}".strip(" ：")
            if e.get("cell")
            else e["message"]
            for e in row.errors
        )
        out.append([row.number, *[values.get(c.key, "") for c in TEMPLATE], message])
    return out


def error_report_response(fmt: str, batch: RegulatorBatch, rows: list[list]):
    return export_response(fmt, f"regulator-batch-{batch.pk}-errors", ERROR_REPORT, rows, keys=False)


def result_rows(qs: QuerySet[Complaint]) -> Iterator[list]:
    """One row per case in the regulator's template; the timeliness comes from the one decision
    clock (workflow.timeliness) the case page and analytics use."""
    from workflow.timeliness import timeliness_many, timely_label

    cases = list(
        qs.annotate(_org=F("responsible_org__name_zh"), _surname=F("customer__surname"), _title=F("customer__title"))
        .values(
            "id", "reference", "regulator_reference", "regulator_received_on", "received_at", "status", "result",
            "redress_type", "redress_amount", "decision_due_date", "responded_at", "closed_at", "extension_level",
            "_org", "_surname", "_title",
        )
    )  # fmt: skip
    timely = timeliness_many(cases, now=timezone.now())
    for c in cases:
        t = timely.get(c["id"])
        if c["status"] in OPEN_STATES:
            result = "处理中"
        else:
            result = _RESULT.get(c["result"], "") or _STATES.get(c["status"], c["status"])
        yield [
            c["regulator_reference"],
            c["reference"],
            c["regulator_received_on"],
            timezone.localtime(c["received_at"]).date(),
            c["_org"],
            f"{c['_surname']}{_TITLES.get(c['_title'], '客户')}" if c["_surname"] else "",
            str(_STATES.get(c["status"], c["status"])),
            str(result),
            c["redress_type"],
            c["redress_amount"],
            (t.due_date if t else None) or c["decision_due_date"],
            timezone.localtime(c["responded_at"]).date() if c["responded_at"] else None,
            timezone.localtime(c["closed_at"]).date() if c["closed_at"] else None,
            timely_label(t),
        ]


def results_response(fmt: str, filename: str, qs: QuerySet[Complaint]):
    return export_response(fmt, filename, RESULTS, result_rows(qs), keys=False)
