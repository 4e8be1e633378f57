"""The case export: its schema and rows (values only, read in chunks). The files are written by
the shared writer ``voc.exports`` (CSV/XLSX, every cell through the formula-injection guard).

The case schema is documented in analytics/EXPORT_SCHEMA.md (modelled on the CFPB
consumer complaint database). Exports never carry phone, ID or card numbers; free
text is passed through ``complaints.pii.mask_text``.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import BooleanField, Case, F, QuerySet, Value, When
from django.utils import timezone

from complaints.models import Complaint
from complaints.pii import mask_text
from complaints.states import OPEN_STATES, CaseState
from voc.exports import Column

from .rollup import verification_condition
from .selectors.base import code_names

CHUNK_SIZE = 2000


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
