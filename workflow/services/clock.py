"""Services that move the regulatory clock: pause/resume, extensions, verification (核实)."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts import roles
from accounts.models import Organisation, User
from accounts.selectors import users_with_role_at
from complaints.models import Complaint

from .. import clocks, permissions
from ..errors import ActionDenied, CaseNotFound, InvalidInput
from ..models import ExtensionRequest, Pause, VerificationRequest
from ..selectors import clock_now
from ..states import OPEN_STATES, CaseState
from . import core, notify


@transaction.atomic
def case_pause(*, complaint_id: int, actor: User, reason: str, note: str, expected_version=None, now=None) -> Complaint:
    """Stop the clock for external appraisal, testing or assessment; not once the deadline has passed."""
    now = core.now_or(now)
    c = core.lock_case(complaint_id, actor=actor, action="pause", expected_version=expected_version)
    if reason not in Pause.Reason.values:
        raise InvalidInput(_("请选择暂停原因（鉴定、检测或评估）"))
    note = core.require_text(note, _("暂停说明"), max_length=500)
    if clock_now(c, now).overdue:
        raise InvalidInput(_("已超过处理时限，不能再暂停计时"))
    Pause.objects.create(complaint=c, reason=reason, note=note, resume_to=c.status, started_at=now, started_by=actor)
    c.paused_since = now
    core.move(c, "pause", actor=actor, now=now, fields=("paused_since",), reason=note, data={"reason": reason})
    return c


@transaction.atomic
def case_resume(*, complaint_id: int, actor: User, reason: str = "", expected_version=None, now=None) -> Complaint:
    """Restart the clock: the paused days move the deadline; back to the state it was paused in."""
    now = core.now_or(now)
    c = core.lock_case(complaint_id, actor=actor, action="resume", expected_version=expected_version)
    reason = core.optional_text(reason)
    pause = Pause.objects.filter(complaint=c, ended_at__isnull=True).first()
    back_to = pause.resume_to if pause else "investigating"
    if pause:
        pause.ended_at, pause.ended_by = now, actor
        pause.save(update_fields=["ended_at", "ended_by"])
    status = clock_now(c, now)
    c.paused_since, c.paused_days, c.due_date = None, status.paused_days, status.due_date
    core.move(
        c,
        "resume",
        actor=actor,
        now=now,
        fields=("paused_since", "paused_days", "due_date"),
        reason=reason,
        data={"paused_days": status.paused_days, "due_date": status.due_date.isoformat()},
        args=(back_to,),
    )
    return c


@transaction.atomic
def extension_request(
    *, complaint_id: int, actor: User, reason: str, customer_informed: bool = False, expected_version=None, now=None
) -> ExtensionRequest:
    """Ask for the next period: 15 → 30 days (level 1) or → 60 days (level 2, customer told)."""
    now = core.now_or(now)
    c = core.lock_case(complaint_id, actor=actor, action="request_extension", expected_version=expected_version)
    reason = core.require_text(reason, _("延期理由"))
    level = c.extension_level + 1
    if level > 2:
        raise InvalidInput(_("已延期至 60 天（最长期限），不能再延期"))
    if c.extension_requests.filter(status=ExtensionRequest.Status.PENDING).exists():
        raise InvalidInput(_("已有一项延期申请在审批中"))
    if clock_now(c, now).overdue:
        raise InvalidInput(_("已超过处理时限，不能再申请延期"))
    if level == 2 and not customer_informed:
        raise InvalidInput(_("再延期 30 天须先告知客户，请确认已告知"))
    try:
        with transaction.atomic():
            req = ExtensionRequest.objects.create(
                complaint=c,
                level=level,
                reason=reason,
                customer_informed=customer_informed,
                requested_by=actor,
                requested_at=now,
            )
    except IntegrityError:
        raise InvalidInput(_("已有一项延期申请在审批中")) from None
    core.log(
        c, action="request_extension", actor=actor, from_state=c.status, reason=reason, data={"level": level}, at=now
    )
    deciders = notify.branch_managers(c.responsible_org) if level == 1 else notify.ho_staff(roles.HO_APPROVER)
    notify.notify(
        [u for u in deciders if u.pk != actor.pk],
        complaint=c,
        kind="extension_requested",
        title=_("延期申请待审批：%(ref)s") % {"ref": c.reference},
        body=reason,
        key=f"extension:{req.pk}",
    )
    return req


@transaction.atomic
def extension_decide(*, request_id: int, actor: User, approve: bool, comment: str = "", now=None) -> ExtensionRequest:
    """Level 1 by a branch manager over the case, level 2 by a head-office approver; never one's own request."""
    now = core.now_or(now)
    try:
        level, complaint_id = ExtensionRequest.objects.values_list("level", "complaint_id").get(pk=request_id)
    except (ExtensionRequest.DoesNotExist, ValueError, TypeError):
        raise CaseNotFound(_("延期申请不存在")) from None
    c = core.lock_case(complaint_id, actor=actor, action=f"decide_extension_{level}", expected_version=None)
    req = ExtensionRequest.objects.select_for_update().get(pk=request_id)
    if req.status != ExtensionRequest.Status.PENDING:
        raise InvalidInput(_("该延期申请已处理（%(status)s）") % {"status": req.get_status_display()})
    if req.requested_by_id == actor.pk:
        raise ActionDenied(_("不能审批自己提出的延期申请"))
    comment = core.optional_text(comment) if approve else core.require_text(comment, _("驳回理由"))
    req.status = ExtensionRequest.Status.APPROVED if approve else ExtensionRequest.Status.REJECTED
    req.decided_by, req.decided_at, req.decision_comment = actor, now, comment
    req.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    data = {"level": level}
    if approve:
        c.extension_level = level
        if c.status in OPEN_STATES and c.status != CaseState.VERIFICATION:
            c.due_date = clock_now(c, now, extension_level=level).due_date
        core.save_case(c, ["extension_level", "due_date"])
        data["due_date"] = c.due_date.isoformat() if c.due_date else ""
        core.changed([c.pk])
    core.log(
        c,
        action="extension_approved" if approve else "extension_rejected",
        actor=actor,
        from_state=c.status,
        reason=comment,
        data=data,
        at=now,
    )
    notify.notify(
        [req.requested_by, c.assigned_to],
        complaint=c,
        kind="extension_decided",
        title=(_("延期已批准：%(ref)s") if approve else _("延期被驳回：%(ref)s")) % {"ref": c.reference},
        body=comment,
        key=f"extension_decided:{req.pk}",
    )
    return req


def _upper_org(c: Complaint) -> Organisation:
    return Organisation.objects.get(pk=permissions.upper_org_id(c.responsible_org))


@transaction.atomic
def verification_request(
    *, complaint_id: int, actor: User, requested_on: date, reason: str, expected_version=None, now=None
) -> VerificationRequest:
    """The customer asks, within 30 days of receiving the decision, for the upper level to verify it."""
    now = core.now_or(now)
    c = core.lock_case(complaint_id, actor=actor, action="request_verification", expected_version=expected_version)
    reason = core.require_text(reason, _("核实请求内容"))
    if not isinstance(requested_on, date):
        raise InvalidInput(_("请填写客户提出核实的日期"))
    decided_on = core.local(c.responded_at or c.decided_at or now).date()
    today = core.local(now).date()
    if requested_on > today:
        raise InvalidInput(_("客户提出日期不能晚于今天"))
    if requested_on < decided_on:
        raise InvalidInput(_("客户提出日期早于答复日期 %(d)s") % {"d": decided_on.isoformat()})
    calendar = core.work_calendar()
    if not clocks.verification_request_allowed(decided_on, requested_on, calendar=calendar):
        end = clocks.verification_window_end(decided_on, calendar=calendar)
        raise InvalidInput(
            _("已超过核实申请期限：客户须在收到处理决定后 30 日内（%(end)s 前）提出") % {"end": end.isoformat()}
        )
    upper = _upper_org(c)
    due = clocks.verification_due(requested_on, calendar=calendar)
    req = VerificationRequest.objects.create(
        complaint=c,
        requested_on=requested_on,
        upper_org=upper,
        reason=reason,
        due_date=due,
        recorded_by=actor,
        recorded_at=now,
    )
    c.due_date = due
    core.move(
        c,
        "request_verification",
        actor=actor,
        now=now,
        fields=("due_date",),
        reason=reason,
        data={"upper_org": upper.code, "due_date": due.isoformat()},
    )
    role = roles.HO_APPROVER if upper.kind == Organisation.Kind.HEAD_OFFICE else roles.BRANCH_MANAGER
    notify.notify(
        users_with_role_at(role, Organisation.objects.filter(pk=upper.pk)),
        complaint=c,
        kind="verification_requested",
        title=_("核实申请待处理：%(ref)s") % {"ref": c.reference},
        body=reason,
        key=f"verification:{req.pk}",
        email=True,
    )
    return req


@transaction.atomic
def verification_decide(
    *, complaint_id: int, actor: User, outcome: str, comment: str, expected_version=None, now=None
) -> VerificationRequest:
    """The upper level's conclusion closes the case again."""
    now = core.now_or(now)
    c = core.lock_case(complaint_id, actor=actor, action="decide_verification", expected_version=expected_version)
    if outcome not in VerificationRequest.Outcome.values:
        raise InvalidInput(_("请选择核实结论"))
    comment = core.require_text(comment, _("核实意见"))
    req = c.verifications.filter(outcome="").order_by("-recorded_at").first()
    if req is None:
        raise InvalidInput(_("没有待处理的核实申请"))
    req.outcome, req.comment, req.decided_by, req.decided_at = outcome, comment, actor, now
    req.save(update_fields=["outcome", "comment", "decided_by", "decided_at"])
    c.closed_at = now
    core.move(
        c, "decide_verification", actor=actor, now=now, fields=("closed_at",), reason=comment, data={"outcome": outcome}
    )
    return req
