"""The case timeline: everything that happened to a case, in order, with time since the call.

``timeline_entries(complaint)`` merges the workflow's own records (transitions,
comments, notifications sent) with entries other apps offer through an
optional ``<app>.timeline.entries_for(complaint)``; each item there may be a
``TimelineEntry`` or any object/dict with ``at`` and ``title`` (and optionally
``kind``, ``detail``, ``actor``, ``url``). The apps are found by ``voc.extensions``
(installed apps in order), whose one error policy applies: a failing hook or an entry
without ``at`` and ``title`` raises in development and tests; in production that app's
entries are left out and the error is logged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voc.extensions import ExtensionPoint

from . import permissions
from .case_records import case_records
from .models import CaseTransition

EVENT_LABELS = {
    "register": gettext_lazy("登记投诉"),
    "merged_in": gettext_lazy("重复投诉并入"),
    "assign": gettext_lazy("分派经办人"),
    "reassign": gettext_lazy("改派经办人"),
    "request_extension": gettext_lazy("申请延期"),
    "extension_approved": gettext_lazy("延期已批准"),
    "extension_rejected": gettext_lazy("延期被驳回"),
    "add_involved": gettext_lazy("登记回避人员"),
    "due_date_recomputed": gettext_lazy("时限重算"),
    "pause": gettext_lazy("暂停计时（已批准）"),
    "pause_rejected": gettext_lazy("暂停申请被驳回"),
    "verification_changed": gettext_lazy("核实结论：变更处理意见（待总行审批）"),
    "verification_change_returned": gettext_lazy("核实变更的处理意见被退回"),
    "refused": gettext_lazy("操作被拒绝"),
    "close_changed": gettext_lazy("办结结果与审核意见不一致，退回总行审核"),
    "unmerge": gettext_lazy("撤销合并"),
    "unmerged_out": gettext_lazy("合并已撤销"),
    "customer_message": gettext_lazy("客户来信"),
}


@dataclass
class TimelineEntry:
    at: datetime
    title: str
    kind: str = "event"
    detail: str = ""
    actor: str = ""
    url: str = ""
    source: str = "workflow"
    elapsed: timedelta | None = field(default=None)

    @property
    def elapsed_text(self) -> str:
        if self.elapsed is None:
            return ""
        minutes = int(self.elapsed.total_seconds() // 60)
        if minutes < 0:
            return ""
        days, rest = divmod(minutes, 24 * 60)
        hours, mins = divmod(rest, 60)
        if days:
            return _("+%(d)s天%(h)s小时") % {"d": days, "h": hours}
        if hours:
            return _("+%(h)s小时%(m)s分") % {"h": hours, "m": mins}
        return _("+%(m)s分钟") % {"m": mins}


def transition_title(t: CaseTransition) -> str:
    label = permissions.label(t.action) if t.action in permissions.RULES else str(EVENT_LABELS.get(t.action, t.action))
    if t.action == "customer_message" and (t.data or {}).get("subject"):
        return f"{label}：{t.data['subject']}"
    if t.from_state and t.from_state != t.to_state:
        return f"{label}：{t.from_label} → {t.to_label}"
    return label


def _transition_detail(t: CaseTransition) -> str:
    bits = [t.reason] if t.reason else []
    data = t.data or {}
    if "to" in data:
        bits.append(_("经办人：%(u)s") % {"u": data["to"]})
    if "into" in data:
        bits.append(_("合并至 %(ref)s") % {"ref": data["into"]})
    if "from" in data and t.action == "merged_in":
        bits.append(_("来自 %(ref)s") % {"ref": data["from"]})
    if data.get("late_days") is not None and data.get("received_at"):
        bits.append(
            _("补录：客户投诉收到于 %(r)s，登记延迟 %(n)s 天") % {"r": data["received_at"], "n": data["late_days"]}
        )
    if data.get("due_date"):
        bits.append(_("时限 %(d)s") % {"d": data["due_date"]})
    if data.get("reference"):
        bits.append(_("鉴定委托编号 %(r)s") % {"r": data["reference"]})
    if data.get("expected_end"):
        bits.append(_("预计结束 %(d)s") % {"d": data["expected_end"]})
    if data.get("informed_on"):
        bits.append(_("客户收到处理决定 %(d)s") % {"d": data["informed_on"]})
    if data.get("decision_received_on"):
        bits.append(
            _("客户收到处理决定 %(d)s，提出核实 %(r)s")
            % {"d": data["decision_received_on"], "r": data.get("requested_on", "")}
        )
    if data.get("users"):
        bits.append(_("回避人员：%(u)s") % {"u": "、".join(data["users"])})
    if data.get("named_in_text"):
        bits.append(_("投诉内容提及：%(u)s") % {"u": "、".join(data["named_in_text"])})
    if t.action == "refused" and data.get("action") in permissions.RULES:
        bits.append(_("尝试：%(a)s") % {"a": permissions.label(data["action"])})
    if data.get("target"):
        bits.append(_("对象：%(u)s") % {"u": data["target"]})
    return "；".join(str(b) for b in bits)


def _getter(item):
    return item.get if isinstance(item, dict) else lambda k, d=None: getattr(item, k, d)


def _is_entry(item) -> bool:
    get = _getter(item)
    return get("at") is not None and bool(get("title"))


TIMELINE = ExtensionPoint("timeline.entries_for", owner="workflow", item=_is_entry)


def _coerce(item, source: str) -> TimelineEntry:
    get = _getter(item)
    at, title = get("at"), get("title")
    return TimelineEntry(
        at=at,
        title=str(title),
        kind=str(get("kind", "event") or "event"),
        detail=str(get("detail", "") or ""),
        actor=str(get("actor", "") or ""),
        url=str(get("url", "") or ""),
        source=source,
    )


def _from_other_apps(complaint) -> list[TimelineEntry]:
    return [_coerce(item, app) for app, items in TIMELINE.call(complaint) for item in items]


def timeline_entries(complaint) -> list[TimelineEntry]:
    """All events of a case in time order, each with the time elapsed since the case was received."""
    entries = [
        TimelineEntry(
            at=complaint.received_at,
            title=_("收到投诉（%(channel)s）") % {"channel": complaint.get_channel_display()},
            kind="received",
            detail=complaint.summary,
        )
    ]
    records = case_records(complaint)  # one query for the log, comments and notifications
    for t in records.transitions:
        entries.append(
            TimelineEntry(
                at=t.at,
                title=transition_title(t),
                kind=t.action,
                detail=_transition_detail(t),
                actor=t.actor_name or str((t.data or {}).get("sender", "")),
                url=str((t.data or {}).get("link", "")) if t.action == "customer_message" else "",
            )
        )
    for c in records.comments:
        entries.append(TimelineEntry(at=c.at, title=_("内部备注"), kind="comment", detail=c.body, actor=c.author))
    # One entry per notified event (not per recipient).
    for n in records.notifications:
        entries.append(
            TimelineEntry(
                at=n.at,
                title=_("通知：%(t)s") % {"t": n.title},
                kind="notification",
                detail=_("%(n)s 人") % {"n": n.recipients},
            )
        )
    if complaint.first_response_at:
        entries.append(TimelineEntry(at=complaint.first_response_at, title=_("分行首次响应"), kind="first_response"))
    entries.extend(_from_other_apps(complaint))
    entries.sort(key=lambda e: (e.at, e.kind != "received"))
    for e in entries:
        e.elapsed = e.at - complaint.received_at
    return entries
