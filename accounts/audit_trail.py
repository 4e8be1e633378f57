"""The audit trail as people read it: what an event was done to, which case it concerns, and
its data as labelled fields.

accounts owns the trail but not the things its events name (cases, customers, recordings), so
it asks the apps that own them through two extension points (``voc.extensions``), each app
answering for its own object types in ``<app>/audit_trail.py``:

- ``describe(refs, case_ids)``: ``AuditSubject`` rows for the page's objects (``refs``: object
  type -> ids) and for the cases named in the events' data (``case_ids``), one query per type;
- ``case_events(reference)``: ``Q`` filters on ``AuditEvent`` matching the events about that
  case (the case itself, its recordings, the customers revealed from it...).

The rest of this module is pure: the labels of the data's keys and how a value is shown
(masked by ``complaints.pii.mask_text``, never as Python's repr of the dict).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voc.extensions import ExtensionPoint

from .models import AuditAction, AuditEvent

COMPLAINT = "complaints.complaint"
CASE_ID_KEYS = ("complaint_id", "complaint")  # keys of an event's data that name a case by id
MAX_VALUE = 300


@dataclass(frozen=True)
class AuditSubject:
    """One object as the audit page shows it: ``text`` (never a full number), a link if it has a
    page, and the case it belongs to, if any."""

    object_type: str
    object_id: str
    text: str
    url: str = ""
    case_reference: str = ""
    case_url: str = ""


DESCRIBE = ExtensionPoint("audit_trail.describe", owner="accounts", item=AuditSubject)
CASE_EVENTS = ExtensionPoint("audit_trail.case_events", owner="accounts", item=Q)


def describe(refs: Mapping[str, set[str]], case_ids: set[int]) -> list[AuditSubject]:
    """accounts' own part: users and organisations (by name, never a username alone)."""
    from .models import Organisation, User

    out: list[AuditSubject] = []
    if refs.get("accounts.user"):
        for u in User.objects.filter(pk__in=_int_ids(refs["accounts.user"])).only("username", "display_name"):
            out.append(AuditSubject("accounts.user", str(u.pk), str(_("用户 %(name)s") % {"name": str(u)})))
    if refs.get("accounts.organisation"):
        for org in Organisation.objects.filter(pk__in=_int_ids(refs["accounts.organisation"])):
            out.append(AuditSubject("accounts.organisation", str(org.pk), str(_("机构 %(org)s") % {"org": org})))
    return out


def _int_ids(ids: Iterable[str]) -> list[int]:
    return [int(i) for i in ids if str(i).isdigit()]


def case_id_of(detail: Mapping[str, Any]) -> int | None:
    """The case an event's data names by id, if any."""
    for key in CASE_ID_KEYS:
        value = detail.get(key) if isinstance(detail, Mapping) else None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
    return None


def action_label(action: str) -> str:
    """The action in words; an old row's unknown kind as it was stored."""
    return AuditAction.label_of(action)


# --- an event's data as fields ------------------------------------------------------------

KEY_LABELS: dict[str, Any] = {
    "via": _("途径"),
    "fields": _("字段"),
    "inlines": _("关联记录"),
    "by": _("查找方式"),
    "complaint_id": _("投诉"),
    "complaint": _("投诉"),
    "case_reference": _("投诉编号"),
    "reference": _("监管文号"),
    "repeat_of": _("重复于"),
    "format": _("格式"),
    "scope": _("范围"),
    "codes": _("分类代码"),
    "status": _("状态"),
    "roles": _("收听角色"),
    "created": _("新建"),
    "held_for": _("暂缓原因"),
    "sources": _("来源文件"),
    "run_by": _("执行人"),
    "created_orgs": _("新建机构"),
    "updated_orgs": _("更新机构"),
    "password_set": _("已设置密码"),
    "from": _("原值"),
    "to": _("新值"),
    "rows_checked": _("检查行数"),
    "rows_changed": _("变更行数"),
    "values_reencrypted": _("重新加密"),
    "hashes_recomputed": _("重算哈希"),
    "unreadable": _("无法解密"),
    "hash_key": _("哈希密钥指纹"),
    "encryption_key": _("加密密钥指纹"),
    "old_keys_configured": _("旧密钥数"),
    "policy_action": _("处理方式"),
    "today": _("执行日期"),
    "closed_on_or_before": _("办结日期不晚于"),
    "held": _("暂缓"),
    "per_org": _("各机构"),
}

# Stored words that have a label of their own (field names, channels).
VALUE_LABELS: dict[str, Any] = {
    "mobile": _("手机号"),
    "id_number": _("证件号"),
    "admin": _("管理后台"),
    "page": _("页面"),
    "api": _("接口"),
}


def key_label(key: str) -> str:
    label = KEY_LABELS.get(key)
    return str(label) if label is not None else key


def show_value(value: Any) -> str:
    """A value of an event's data as text: words for known codes, 是/否, lists joined, nested
    mappings as "label: value"; every string through the PII mask; cut at MAX_VALUE."""
    from complaints.pii import mask_text

    def text(v: Any) -> str:
        if v is None or v == "":
            return "—"
        if isinstance(v, bool):
            return str(_("是") if v else _("否"))
        if isinstance(v, Mapping):
            return str(_("；")).join(f"{key_label(str(k))}: {text(x)}" for k, x in v.items()) or "—"
        if isinstance(v, list | tuple):
            return str(_("、")).join(text(x) for x in v) or "—"
        s = str(v)
        known = VALUE_LABELS.get(s)
        return str(known) if known is not None else mask_text(s)

    shown = text(value)
    return shown if len(shown) <= MAX_VALUE else shown[: MAX_VALUE - 1] + "…"


def detail_fields(detail: Any, *, hide: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(label, value) for each key of the event's data, in stored order, ``hide`` left out (the
    keys the page already shows elsewhere, e.g. the case)."""
    if not isinstance(detail, Mapping):
        return [("", show_value(detail))] if detail not in (None, "", [], {}) else []
    hidden = set(hide)
    return [(key_label(str(k)), show_value(v)) for k, v in detail.items() if k not in hidden]


@dataclass(frozen=True)
class AuditRow:
    """One event as the page shows it."""

    event: AuditEvent
    action_label: str
    actor_name: str
    subject: AuditSubject | None
    case: AuditSubject | None
    fields: list[tuple[str, str]]


# --- pages: keyset cursor on (at, id) and the bank's local days -----------------------------


def cursor_encode(at: dt.datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{pk}".encode()).decode().rstrip("=")


def cursor_decode(token: str | None) -> tuple[dt.datetime, int] | None:
    """(at, id) of the last row shown; None for no token or a malformed one (the first page)."""
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        stamp, _sep, pk = raw.partition("|")
        at = dt.datetime.fromisoformat(stamp)
        if at.tzinfo is None:
            return None
        return at, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def local_day_start(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in the bank's time zone (settings.TIME_ZONE), as an aware datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())


def at_range(date_from: dt.date | None, date_to: dt.date | None) -> Q:
    """``at`` within the local days ``date_from`` .. ``date_to`` (both included; either open)."""
    q = Q()
    if date_from is not None:
        q &= Q(at__gte=local_day_start(date_from))
    if date_to is not None:
        q &= Q(at__lt=local_day_start(date_to + dt.timedelta(days=1)))
    return q


def before_cursor(cursor: tuple[dt.datetime, int] | None) -> Q:
    """Rows after ``cursor`` in newest-first order."""
    if cursor is None:
        return Q()
    at, pk = cursor
    return Q(at__lt=at) | Q(at=at, id__lt=pk)
