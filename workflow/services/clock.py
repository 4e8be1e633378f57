"""Services that move the regulatory clock: pause/resume, extensions, verification (核实),
and the record of when the customer received a decision (the verification window runs from it)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts import roles
from accounts.models import Organisation, User
from accounts.selectors import users_with_role_at
from complaints.models import Complaint
from complaints.states import OPEN_STATES, CaseState

from .. import clocks, permissions
from ..errors import ActionDenied, InvalidInput, RequestNotFound
from ..models import Decision, DeliveryChannel, ExtensionRequest, Pause, PauseRequest, VerificationRequest
from ..selectors import clock_now
from . import core, notify
from .outcome import approved_decision, informed_set, parse_redress, parse_result, parse_root_cause


@transaction.atomic
def case_pause(
    *,
    complaint_id: int,
    actor: User,
    reason: str,
    note: str,
    expected_end: date | None = None,
    reference: str = "",
    evidence=None,
    expected_version=None,
    now=None,
) -> PauseRequest:
    """Ask to stop the clock for an external appraisal, testing or assessment.

    The request names the appraisal's type, a reference (commission or document number) or
    a file, and the expected end; the clock stops only when a manager approves it
    (``pause_decide``). Not once the deadline has passed.
    """
    now = core.now_or(now)
    c = core.lock_case(complaint_id, actor=actor, action="request_pause", expected_version=expected_version)
    if reason not in Pause.Reason.values:
        raise InvalidInput(_("请选择暂停原因（鉴定、检测或评估）"))
    note = core.require_text(note, _("暂停说明"), max_length=500)
    reference = core.optional_text(reference, max_length=100)
    if not reference and not evidence:
        raise InvalidInput(_("请填写鉴定委托编号或上传委托书等证明文件"))
    today = core.local(now).date()
    if not isinstance(expected_end, date) or expected_end <= today:
        raise InvalidInput(_("请填写鉴定预计结束日期（晚于今天）"))
    if expected_end > today + timedelta(days=MAX_PAUSE_DAYS):
        raise InvalidInput(_("预计结束日期不能超过 %(n)s 天后") % {"n": MAX_PAUSE_DAYS})
    if clock_now(c, now).overdue:
        raise InvalidInput(_("已超过处理时限，不能再暂停计时"))
    if c.pause_requests.filter(status=PauseRequest.Status.PENDING).exists():
        raise InvalidInput(_("已有一项暂停申请在审批中"))
    req = PauseRequest.objects.create(
        complaint=c,
        reason=reason,
        reference=reference,
        evidence=evidence or "",
        expected_end=expected_end,
        note=note,
        requested_by=actor,
        requested_at=now,
    )
    data = {"reason": reason, "expected_end": expected_end.isoformat(), "reference": reference}
    core.log(c, action="request_pause", actor=actor, from_state=c.status, reason=note, data=data, at=now)
    notify.notify(
        [u for u in _pause_deciders(c, req) if u.pk != actor.pk],
        complaint=c,
        kind="pause_requested",
        title=_("暂停计时申请待审批：%(ref)s") % {"ref": c.reference},
        body=note,
        key=f"pause:{req.pk}",
    )
    return req


MAX_PAUSE_DAYS = 180


def _requested_by_manager(req) -> bool:
    return req.requested_by.has_role(roles.BRANCH_MANAGER)


def _pause_deciders(c: Complaint, req) -> list[User]:
    if _requested_by_manager(req):
        return notify.ho_staff(roles.HO_APPROVER)
    return notify.branch_managers(c.responsible_org)


@transaction.atomic
def pause_decide(
    *, complaint_id: int, actor: User, approve: bool, comment: str = "", expected_version=None, now=None
) -> PauseRequest:
    """The branch manager approves or rejects a pause; head office when a branch manager asked.

    Approval opens the ``Pause`` (the clock stops from now until the resume) with the
    request's expected end; nobody approves their own request.
    """
    now = core.now_or(now)
    # permissions: nobody decides their own request (the same rule hides the buttons on the page)
    c = core.lock_case(complaint_id, actor=actor, action="decide_pause", expected_version=expected_version)
    req = c.pause_requests.select_for_update().filter(status=PauseRequest.Status.PENDING).first()
    if req is None:
        raise InvalidInput(_("没有待审批的暂停申请"))
    comment = core.optional_text(comment) if approve else core.require_text(comment, _("驳回理由"))
    req.status = PauseRequest.Status.APPROVED if approve else PauseRequest.Status.REJECTED
    req.decided_by, req.decided_at, req.decision_comment = actor, now, comment
    req.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    if not approve:
        core.log(c, action="pause_rejected", actor=actor, from_state=c.status, reason=comment, at=now)
    else:
        if clock_now(c, now).overdue:
            raise InvalidInput(_("已超过处理时限，不能再暂停计时"))
        Pause.objects.create(
            complaint=c,
            reason=req.reason,
            note=req.note,
            resume_to=c.status,
            started_at=now,
            started_by=actor,
            request=req,
            expected_end=req.expected_end,
        )
        c.paused_since = now
        data = {
            "reason": req.reason,
            "expected_end": req.expected_end.isoformat(),
            "requested_by": req.requested_by.username,
        }
        core.move(c, "pause", actor=actor, now=now, fields=("paused_since",), reason=comment or req.note, data=data)
    notify.notify(
        [req.requested_by, c.assigned_to],
        complaint=c,
        kind="pause_decided",
        title=(_("暂停计时已批准：%(ref)s") if approve else _("暂停申请被驳回：%(ref)s")) % {"ref": c.reference},
        body=comment,
        key=f"pause_decided:{req.pk}",
    )
    return req


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
def extension_decide(
    *,
    request_id: int,
    actor: User,
    approve: bool,
    comment: str = "",
    complaint_id: int | None = None,
    expected_version=None,
    now=None,
) -> ExtensionRequest:
    """Level 1 by a branch manager over the case, level 2 by a head-office approver; never one's own request.
    Acting from a case (``complaint_id``), only that case's request can be decided."""
    now = core.now_or(now)
    requests = (
        ExtensionRequest.objects.all()
        if complaint_id is None
        else ExtensionRequest.objects.filter(complaint_id=complaint_id)
    )
    try:
        level, complaint_id = requests.values_list("level", "complaint_id").get(pk=request_id)
    except (ExtensionRequest.DoesNotExist, ValueError, TypeError):
        raise RequestNotFound(_("延期申请不存在")) from None
    # permissions: nobody decides their own request (the same rule hides the buttons on the page)
    c = core.lock_case(complaint_id, actor=actor, action=f"decide_extension_{level}", expected_version=expected_version)
    req = ExtensionRequest.objects.select_for_update().get(pk=request_id)
    if req.status != ExtensionRequest.Status.PENDING:
        raise InvalidInput(_("该延期申请已处理（%(status)s）") % {"status": req.get_status_display()})
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
def decision_informed_record(
    *, complaint_id: int, actor: User, informed_via: str, informed_on: date, expected_version=None, now=None
) -> Decision:
    """A letter arrives days after the answer was sent: record when the customer received it."""
    now = core.now_or(now)
    c = core.lock_case(complaint_id, actor=actor, action="record_informed", expected_version=expected_version)
    decision = informed_set(c, actor=actor, via=informed_via, on=informed_on, now=now)
    core.log(
        c,
        action="record_informed",
        actor=actor,
        from_state=c.status,
        data={"informed_on": decision.informed_on.isoformat(), "informed_via": decision.informed_via},
        at=now,
    )
    return decision


@transaction.atomic
def verification_request(
    *,
    complaint_id: int,
    actor: User,
    requested_on: date,
    reason: str,
    requested_via: str = DeliveryChannel.LETTER,
    expected_version=None,
    now=None,
) -> VerificationRequest:
    """The customer asks, within 30 days of receiving the decision, for the upper level to verify it.

    Entered by head office or the intake agent (the customer's request, never the branch's);
    the window runs from the date the customer received the decision, as recorded on it;
    one verification per decision. The verification's own 30-day clock is kept on the
    request (``due_date``); the decision's deadline is not touched.
    """
    now = core.now_or(now)
    c = core.lock_case(complaint_id, actor=actor, action="request_verification", expected_version=expected_version)
    reason = core.require_text(reason, _("核实请求内容"))
    if requested_via not in DeliveryChannel.values:
        raise InvalidInput(_("请选择客户提出核实的方式"))
    if not isinstance(requested_on, date):
        raise InvalidInput(_("请填写客户提出核实的日期"))
    decision = approved_decision(c)
    if decision is not None and decision.verifications.exists():
        raise InvalidInput(_("该处理决定已申请过核实（每项处理决定只能核实一次）"))
    if decision is None or decision.informed_on is None:
        raise InvalidInput(_("尚未登记客户收到处理决定的日期，请先登记（核实申请期限自客户收到之日起算）"))
    received_on = decision.informed_on
    today = core.local(now).date()
    if requested_on > today:
        raise InvalidInput(_("客户提出日期不能晚于今天"))
    if requested_on < received_on:
        raise InvalidInput(_("客户提出日期早于客户收到处理决定的日期 %(d)s") % {"d": received_on.isoformat()})
    calendar = core.work_calendar()
    window_end = clocks.verification_window_end(received_on, calendar=calendar)
    if not clocks.verification_request_allowed(received_on, requested_on, calendar=calendar):
        raise InvalidInput(
            _("已超过核实申请期限：客户须在收到处理决定后 30 日内（%(end)s 前）提出") % {"end": window_end.isoformat()}
        )
    upper = _upper_org(c)
    due = clocks.verification_due(requested_on, calendar=calendar)
    try:
        with transaction.atomic():
            req = VerificationRequest.objects.create(
                complaint=c,
                decision=decision,
                decision_received_on=received_on,
                window_end=window_end,
                requested_via=requested_via,
                requested_on=requested_on,
                upper_org=upper,
                reason=reason,
                due_date=due,
                recorded_by=actor,
                recorded_at=now,
            )
    except IntegrityError:
        raise InvalidInput(_("该处理决定已申请过核实（每项处理决定只能核实一次）")) from None
    # Complaint.due_date shows the running clock (here the verification's); the decision's
    # own deadline and timeliness are kept apart (workflow.timeliness).
    c.due_date = due
    core.move(
        c,
        "request_verification",
        actor=actor,
        now=now,
        fields=("due_date",),
        reason=reason,
        data={
            "upper_org": upper.code,
            "due_date": due.isoformat(),
            "decision_received_on": received_on.isoformat(),
            "requested_on": requested_on.isoformat(),
        },
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


def _open_verification(c: Complaint) -> VerificationRequest:
    req = c.verifications.select_for_update().filter(outcome="").order_by("-recorded_at").first()
    if req is None:
        raise InvalidInput(_("没有待处理的核实申请"))
    return req


@transaction.atomic
def verification_decide(
    *,
    complaint_id: int,
    actor: User,
    outcome: str,
    comment: str,
    text: str = "",
    result: str = "",
    redress_amount=None,
    redress_type: str = "",
    root_cause: str = "",
    expected_version=None,
    now=None,
) -> VerificationRequest:
    """The upper level's conclusion, by someone who neither handled nor closed the case.

    Upheld: the case closes again with its result. Changed (变更处理意见): the conclusion
    carries a new decision (text, result, redress, root cause) which, like any decision,
    needs its own approval (``verification_change_review``); until then the case stays
    under verification and its result is unchanged.
    """
    now = core.now_or(now)
    c = core.lock_case(complaint_id, actor=actor, action="decide_verification", expected_version=expected_version)
    if outcome not in (VerificationRequest.Outcome.UPHELD, VerificationRequest.Outcome.CHANGED):
        raise InvalidInput(_("请选择核实结论"))
    comment = core.require_text(comment, _("核实意见"))
    req = _open_verification(c)
    new = None
    if outcome == VerificationRequest.Outcome.CHANGED:
        text = core.require_text(text or comment, _("变更后的处理意见"), max_length=5000)
        new_result = parse_result(result)
        amount, rtype = parse_redress(redress_amount, redress_type)
        code = parse_root_cause(root_cause)
        version = (c.decisions.order_by("-version").values_list("version", flat=True).first() or 0) + 1
        new = Decision.objects.create(
            complaint=c,
            version=version,
            text=text,
            proposed_result=new_result,
            redress_amount=amount,
            redress_type=rtype,
            root_cause_code=code,
            author=actor,
            created_at=now,
            from_verification=req,
        )
    req.outcome, req.comment, req.decided_by, req.decided_at = outcome, comment, actor, now
    req.save(update_fields=["outcome", "comment", "decided_by", "decided_at"])
    data = {"outcome": outcome, "due_date": req.due_date.isoformat(), "on_time": core.local(now).date() <= req.due_date}
    if new is None:
        c.closed_at = now
        core.move(c, "decide_verification", actor=actor, now=now, fields=("closed_at",), reason=comment, data=data)
    else:
        data["version"] = new.version
        core.log(c, action="verification_changed", actor=actor, from_state=c.status, reason=comment, data=data, at=now)
        notify.notify(
            notify.ho_staff(roles.HO_APPROVER),
            complaint=c,
            kind="review_requested",
            title=_("核实变更的处理意见待审批：%(ref)s") % {"ref": c.reference},
            body=comment,
            key=f"verification_change:{new.pk}",
        )
    return req


@transaction.atomic
def verification_change_review(
    *, complaint_id: int, actor: User, approve: bool, comment: str = "", expected_version=None, now=None
) -> Decision:
    """Head office approves the decision a verification changed (never the one who drafted it).

    Approved: it becomes the case's result, redress and root cause, and the case closes;
    the customer's receipt of it is then recorded like any decision. Returned: the
    verification is open again for the upper level to conclude.
    """
    now = core.now_or(now)
    c = core.lock_case(
        complaint_id, actor=actor, action="approve_verification_change", expected_version=expected_version
    )
    new = (
        c.decisions.filter(review=Decision.Review.PENDING, from_verification__isnull=False).order_by("-version").first()
    )
    if new is None:
        raise InvalidInput(_("没有待审批的核实变更处理意见"))
    if new.author_id == actor.pk:
        raise ActionDenied(str(permissions.RECUSAL_MESSAGES["authored"]))
    comment = core.optional_text(comment, _("审批意见")) if approve else core.require_text(comment, _("退回意见"))
    new.review = Decision.Review.APPROVED if approve else Decision.Review.RETURNED
    new.reviewed_by, new.reviewed_at, new.review_comment = actor, now, comment
    new.save(update_fields=["review", "reviewed_by", "reviewed_at", "review_comment"])
    data = {"version": new.version}
    if approve:
        c.result = new.proposed_result
        c.redress_amount, c.redress_type, c.root_cause_code = new.redress_amount, new.redress_type, new.root_cause_code
        c.closed_at = now
        data["result"] = c.result
        fields = ("result", "redress_amount", "redress_type", "root_cause_code", "closed_at")
        core.move(c, "decide_verification", actor=actor, now=now, fields=fields, reason=comment, data=data)
    else:
        req = new.from_verification
        VerificationRequest.objects.filter(pk=req.pk).update(outcome="", decided_by=None, decided_at=None)
        core.log(
            c,
            action="verification_change_returned",
            actor=actor,
            from_state=c.status,
            reason=comment,
            data=data,
            at=now,
        )
    return new


@transaction.atomic
def verification_withdraw(*, complaint_id: int, actor: User, reason: str, expected_version=None, now=None):
    """The customer withdraws the verification request, recorded by the upper level.

    The complaint stays decided (closed with its result); it is not a withdrawn complaint.
    """
    now = core.now_or(now)
    c = core.lock_case(complaint_id, actor=actor, action="withdraw_verification", expected_version=expected_version)
    reason = core.require_text(reason, _("撤回说明"))
    req = _open_verification(c)
    req.outcome, req.comment, req.decided_by, req.decided_at = (
        VerificationRequest.Outcome.WITHDRAWN,
        reason,
        actor,
        now,
    )
    req.save(update_fields=["outcome", "comment", "decided_by", "decided_at"])
    fields: tuple[str, ...] = ()
    if c.closed_at is None:
        c.closed_at = now
        fields = ("closed_at",)
    core.move(c, "withdraw_verification", actor=actor, now=now, fields=fields, reason=reason)
    return req
