"""Checking one row of a regulator transfer file and turning it into a registration.

No writes: the preview runs these checks to say what each row will do, and the import runs them
again just before registering (codes may have been retired, another batch may have brought the
same reference meanwhile). The registration's own rules (``complaints.services.complaint_register``)
still apply on top; what it refuses is reported the same way, by cell.

Dates (workflow.clocks, the existing regulated clock):
- 监管受理日期 (``regulator_received_on``) is when the regulator received the complaint; the case
  page and the export check the regulator's 3-working-day forwarding against it;
- 转办日期 (``forwarded_on``) is when the bank received the transfer: the case's ``received_at``,
  from which the 15-day decision clock runs (the day itself not counted). Blank: the day of import.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from complaints import pii
from complaints.models import Complaint, Customer
from complaints.selectors import customer_lookup
from complaints.services import CustomerInput
from complaints.services.customers import customer_clean
from complaints.services.intake import DETAILS_MAX, SUMMARY_MAX
from complaints.taxonomy_selectors import code_for_new_case, code_search
from workflow import clocks
from workflow.work_calendar import work_calendar

from .regulator_file import BY_KEY, DATE_NUMBER, NUMBER_LOST, SCIENTIFIC, FileProblem, MissingColumns, parse_date

EARLIEST = dt.date(2000, 1, 1)
RECEIVED_HOUR = 9  # a transfer received on an earlier day counts from the start of that working day
TITLES = {"先生": "mr", "男": "mr", "mr": "mr", "女士": "ms", "女": "ms", "ms": "ms", "mrs": "ms", "小姐": "ms"}
# complaint_register's field names -> the template's columns
SERVICE_FIELDS = {
    "regulator_reference": "regulator_reference",
    "received_at": "forwarded_on",
    "customer_name": "customer_name",
    "customer_title": "customer_title",
    "mobile": "mobile",
    "id_number": "id_number",
    "summary": "summary",
    "details": "content",
    "responsible_org": "branch",
    "code_a": "code_a",
    "code_b": "code_b",
    "code_c": "code_c",
}


def problem_message(problem: FileProblem) -> str:
    """What the uploader is told about a file that cannot be read at all."""
    if isinstance(problem, MissingColumns):
        return _("缺少必填列：%(names)s。请使用模板的列名（可下载模板）。") % {"names": "、".join(problem.names)}
    return {
        "empty": _("文件是空的。"),
        "xls": _("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV 后上传。"),
        "binary": _("无法识别的文件：请上传 .xlsx 或 CSV 文件。"),
        "encoding": _("CSV 文件编码无法识别：请保存为 UTF-8 或 GBK 编码。"),
        "unreadable": _("无法读取该 Excel 文件（文件损坏或不完整）。"),
        "too_big": _("文件过大：最多 5 MB。请分批上传。"),
        "too_many_rows": _("行数过多：每个文件最多 1000 行。请分批上传。"),
        "no_header": _("找不到表头行：前 10 行中没有模板的列名。"),
        "no_rows": _("表头下没有数据行。"),
    }.get(str(problem), _("无法读取该文件。"))


def cell_problem_message(problem: str, key: str) -> str:
    if problem == NUMBER_LOST:
        return _("该号码在 Excel 中被存成了数字，末几位已丢失；请把该列设为“文本”后重新录入。")
    if problem == SCIENTIFIC:
        return _("该号码显示为科学计数法，数字已丢失；请把该列设为“文本”后重新录入。")
    if problem == DATE_NUMBER:
        return _("不是有效的日期。")
    return _("无法读取该单元格。")


@dataclass
class RowCheck:
    outcome: str  # RegulatorRow.Outcome value: new | duplicate | error
    reference: str = ""  # as it will be stored on the case (masked free text)
    errors: list[dict] = field(default_factory=list)  # {"column", "cell", "message"}
    notes: list[str] = field(default_factory=list)
    duplicate_of: Complaint | None = None
    register: dict = field(default_factory=dict)  # complaint_register keyword arguments


def stored_reference(raw: str) -> str:
    """The regulator reference as complaint_register stores it (masked free text, ≤ 64)."""
    return pii.mask_text((raw or "").strip())[:64]


def existing_by_reference(references: list[str]) -> dict[str, Complaint]:
    """Cases already carrying these regulator references (the oldest per reference)."""
    found: dict[str, Complaint] = {}
    wanted = [r for r in set(references) if r]
    if not wanted:
        return found
    # The explicit "<> ''" matches the partial index cmp_regulator_ref's condition, so PostgreSQL
    # uses it for a file of any size (it proves "IN (...)" implies it only for lists of <= 100).
    for case in (
        Complaint.objects.filter(regulator_reference__in=wanted)
        .exclude(regulator_reference="")
        .only("id", "reference", "regulator_reference", "responsible_org_id")
        .order_by("pk")
    ):
        found.setdefault(case.regulator_reference, case)
    return found


def _date(values: dict, key: str, add, today: dt.date) -> dt.date | None:
    text = values.get(key, "")
    if not text:
        return None
    try:
        day = parse_date(text)
    except ValueError:
        add(key, _("日期无法识别：请写成 2026-03-02 这样的 年-月-日。"))
        return None
    if day < EARLIEST:
        add(key, _("日期早于 2000 年，请核对。"))
        return None
    if day > today:
        add(key, _("日期不能晚于今天。"))
        return None
    return day


def active_orgs() -> list[Organisation]:
    """The organisations a branch hint may name (read once per batch, not per row)."""
    return list(Organisation.objects.filter(is_active=True).only("id", "code", "name_zh", "name_en", "path"))


def _org(hint: str, add, orgs: list[Organisation]) -> Organisation | None:
    """The responsible org a branch hint names: a code, an exact name, or the one most specific
    org whose name the hint contains ("XX银行北京分行朝阳支行" -> 朝阳支行)."""
    hint = " ".join(hint.split())
    if not hint:
        return None
    for matches in (
        lambda o: o.code.lower() == hint.lower(),
        lambda o: o.name_zh == hint,
        lambda o: bool(o.name_en) and o.name_en.lower() == hint.lower(),
    ):
        exact = next((o for o in orgs if matches(o)), None)
        if exact is not None:
            return exact
    compact = re.sub(r"\s", "", hint)
    inside = [o for o in orgs if len(o.name_zh) >= 2 and o.name_zh in compact]
    # Drop a match that is an ancestor of another match: the hint names the deeper one.
    deepest = [o for o in inside if not any(p is not o and p.path.startswith(o.path) for p in inside)]
    if len(deepest) == 1:
        return deepest[0]
    if deepest:
        names = "、".join(o.name_zh for o in deepest)
        add("branch", _("机构不明确：可能是 %(names)s，请写机构代码。") % {"names": names})
    else:
        add("branch", _("找不到该机构，请写机构代码或完整的机构名称。"))
    return None


def _code(values: dict, axis: str, add, notes: list[str]) -> str:
    key = f"code_{axis.lower()}"
    raw = " ".join(values.get(key, "").split())
    if not raw:
        notes.append(
            _("未提供%(axis)s代码，按“其他”（%(code)s）登记，经办时可改。") % {"axis": axis, "code": f"{axis}99"}
        )
        return f"{axis}99"
    m = re.match(rf"^([{axis}{axis.lower()}]\d{{2,6}})(?![\d])", raw)
    if m:
        code = m.group(1).upper()
    else:
        hits = [h for h in code_search(raw, axis=axis, selectable_only=True, limit=5) if h.is_leaf]
        if not hits:
            add(key, _("找不到与“%(words)s”相符的%(axis)s代码。") % {"words": raw, "axis": axis})
            return ""
        code = hits[0].code
        notes.append(
            _("%(axis)s代码按“%(words)s”取 %(code)s %(name)s。")
            % {"axis": axis, "words": raw, "code": code, "name": hits[0].name_zh}
        )
    try:
        code_for_new_case(code, axis=axis)
    except ValueError as exc:
        add(key, str(exc))
        return ""
    return code


def _summary(values: dict, add, notes: list[str]) -> str:
    summary = " ".join(values.get("summary", "").split())
    if summary:
        if len(summary) > SUMMARY_MAX:
            add("summary", _("摘要最多 %(n)d 字（现 %(len)d 字）。") % {"n": SUMMARY_MAX, "len": len(summary)})
        return summary
    content = " ".join(values.get("content", "").split())
    first = re.split(r"(?<=[。！？!?；;])", content, maxsplit=1)[0]
    if len(first) > SUMMARY_MAX:
        first = first[: SUMMARY_MAX - 1] + "…"
    if first:
        notes.append(_("未提供摘要，取投诉内容的第一句。"))
    return first


def received_at_for(day: dt.date, now: dt.datetime) -> dt.datetime:
    """The case's receipt time for a transfer received on ``day``."""
    if day >= timezone.localtime(now).date():
        return now
    start = dt.datetime.combine(day, dt.time(RECEIVED_HOUR), tzinfo=timezone.get_current_timezone())
    return min(start, now)


def check_row(
    values: dict[str, str],
    problems: dict[str, str],
    *,
    cell,
    existing: dict[str, Complaint],
    earlier_rows: dict[str, int],
    now: dt.datetime | None = None,
    orgs: list[Organisation] | None = None,
) -> RowCheck:
    """What this row would do: ``new`` (with the registration's arguments), ``duplicate`` (the
    reference is on a case already: not doubled) or ``error`` (each with its cell and reason).

    ``cell(key)`` names the row's cell of a column ("C5"); ``earlier_rows`` maps the references
    of the file's earlier rows to their row numbers (a reference twice in one file is an error)."""
    now = now or timezone.now()
    errors: list[dict] = []
    notes: list[str] = []

    def add(key: str | None, message: str) -> None:
        if key and any(e["column"] == key for e in errors):
            return  # one message per cell: the first says what to fix
        header = str(BY_KEY[key].zh) if key in BY_KEY else ""
        errors.append(
            {"column": key or "", "cell": cell(key) if key else "", "header": header, "message": str(message)}
        )

    for key, problem in problems.items():
        add(key, cell_problem_message(problem, key))
    for column in BY_KEY.values():
        if column.required and not values.get(column.key, "").strip():
            add(column.key, _("必填项为空。"))

    raw_reference = " ".join(values.get("regulator_reference", "").split())
    reference = stored_reference(raw_reference)
    if len(raw_reference) > 64:
        add("regulator_reference", _("监管编号过长（最多 64 字符）。"))
    if reference and reference in existing:
        case = existing[reference]
        return RowCheck(
            "duplicate", reference, [], [_("监管编号已在 %(ref)s 登记，不重复导入。") % {"ref": case.reference}], case
        )
    if reference and reference in earlier_rows:
        add("regulator_reference", _("与第 %(n)d 行的监管编号重复。") % {"n": earlier_rows[reference]})

    today = timezone.localtime(now).date()
    regulator_received_on = _date(values, "regulator_received_on", add, today)
    forwarded_on = _date(values, "forwarded_on", add, today)
    if forwarded_on is None and not values.get("forwarded_on") and regulator_received_on:
        forwarded_on = today
        notes.append(_("未提供转办日期，按导入当天收到计。"))
    if regulator_received_on and forwarded_on and forwarded_on < regulator_received_on:
        add("forwarded_on", _("转办日期早于监管受理日期。"))

    title_text = values.get("customer_title", "").strip().lower()
    title = TITLES.get(title_text, Customer.Title.UNKNOWN)
    if title_text and title_text not in TITLES:
        add("customer_title", _("称谓应为 先生 或 女士（可留空）。"))
    customer = CustomerInput(
        name=values.get("customer_name", ""),
        title=title,
        mobile="" if "mobile" in problems else values.get("mobile", ""),
        id_number="" if "id_number" in problems else values.get("id_number", ""),
    )
    try:
        clean = customer_clean(customer, require_name=False)
    except ValidationError as exc:  # one message per field
        for name, messages in exc.message_dict.items():
            add(SERVICE_FIELDS.get(name, name if name in BY_KEY else None), messages[0])
    else:
        if not clean.name and customer_lookup(mobile=clean.mobile, id_number=clean.id_number) is None:
            add("customer_name", _("新客户须填写投诉人姓名。"))

    content = values.get("content", "").strip()
    if len(content) > DETAILS_MAX:
        add("content", _("投诉内容最多 %(n)d 字（现 %(len)d 字）。") % {"n": DETAILS_MAX, "len": len(content)})
    summary = _summary(values, add, notes)
    codes = {axis: _code(values, axis, add, notes) for axis in "ABC"}
    org = _org(values.get("branch", ""), add, active_orgs() if orgs is None else orgs)
    if org is None and not values.get("branch", "").strip():
        notes.append(_("未提供被投诉机构，按分派规则确定责任机构。"))
    elif org is not None:
        notes.append(_("责任机构：%(org)s。") % {"org": org.name_zh})

    if regulator_received_on and forwarded_on and not errors:
        cal = work_calendar()
        forward_due = clocks.regulator_forward_due(regulator_received_on, cal)
        decision = clocks.decision_due(forwarded_on, extension_level=0, paused_days=0, calendar=cal)
        notes.append(
            _("转办时限 %(fwd)s（%(ok)s）；答复时限 %(due)s。")
            % {
                "fwd": forward_due,
                "ok": _("按时") if forwarded_on <= forward_due else _("监管转办已超时"),
                "due": decision,
            }
        )
    if errors:
        return RowCheck("error", reference, errors, notes)
    return RowCheck(
        "new",
        reference,
        [],
        notes,
        register={
            "channel": Complaint.Channel.REGULATOR,
            "regulator_reference": raw_reference,
            "regulator_received_on": regulator_received_on,
            "received_at": received_at_for(forwarded_on, now),
            "is_regulator_referred": True,
            "code_a": codes["A"],
            "code_b": codes["B"],
            "code_c": codes["C"],
            "summary": summary,
            "details": content,
            "customer": customer,
            "responsible_org": org,
        },
    )


def service_errors(exc, cell) -> list[dict]:
    """complaint_register's ValidationError as the rows' error entries (by cell)."""
    found = []
    for name, messages in getattr(exc, "message_dict", {"": [str(exc)]}).items():
        key = SERVICE_FIELDS.get(name, "")
        header = str(BY_KEY[key].zh) if key else ""
        found.append({"column": key, "cell": cell(key) if key else "", "header": header, "message": str(messages[0])})
    return found
