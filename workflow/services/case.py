"""The main path of a case: route, accept, investigate, draft, review, respond, close.

Each service: one transaction, row locked, permission table checked, state
moved by the FSM, one ``CaseTransition`` appended (see ``core``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import roles
from accounts.models import Organisation, User
from accounts.selectors import org_visible_to, users_with_role_at
from complaints.fsm import MERGEABLE
from complaints.models import Complaint
from complaints.states import FINAL_STATES, state_label

from ..errors import ActionDenied, InvalidInput
from ..models import REDRESS_TYPES, Assignment, Decision  # noqa: F401  (REDRESS_TYPES: services exports it from here)
from . import core, notify
from .outcome import (
    CLOSING_FIELDS,
    approved_decision,
    closing_record,  # noqa: F401  (imported from here too)
    informed_on_respond,
    parse_redress,
    parse_result,
    parse_root_cause,
)


def _assign(complaint: Complaint, *, to: User, by: User, reason: str, now: datetime) -> Assignment:
    previous_id = complaint.assigned_to_id
    complaint.assigned_to = to
    return Assignment.objects.create(
        complaint=complaint, assigned_to=to, previous_id=previous_id, assigned_by=by, reason=reason, at=now
    )


@transaction.atomic
def case_route(
    *,
    complaint_id: int,
    actor: User,
    org: Organisation | None = None,
    reason: str = "",
    expected_version=None,
    now=None,
) -> Complaint:
    """Head office sends the case to a branch or sub-branch (by default the one intake chose)."""
    now = core.now_or(now)
    c = core.lock_case(complaint_id, actor=actor, action="route", expected_version=expected_version)
    reason = core.optional_text(reason)
    target = org or c.responsible_org
    if target.kind == Organisation.Kind.HEAD_OFFICE or not target.is_active:
        raise InvalidInput(_("请选择一个有效的分行或支行"))
    fields = []
    if target.pk != c.responsible_org_id:
        c.responsible_org = target
        fields.append("responsible_org")
    core.move(c, "route", actor=actor, now=now, fields=tuple(fields), reason=reason, data={"org": target.code})
    recipients = notify.branch_managers(target)
    if target.kind == Organisation.Kind.SUB_BRANCH:
        recipients += list(users_with_role_at(roles.BRANCH_HANDLER, Organisation.objects.filter(pk=target.pk)))
    notify.notify(
        recipients,
        complaint=c,
        kind="case_routed",
        title=_("新投诉已派发：%(ref)s") % {"ref": c.reference},
        body=c.summary,
        key=f"routed:{c.pk}:{target.pk}",
        email=True,
    )
    return c


@transaction.atomic
def case_not_accept(*, complaint_id: int, actor: User, reason: str, expected_version=None, now=None) -> Complaint:
    """Out of scope: the case ends with the stated reason."""
    now = core.now_or(now)
    c = core.lock_case(complaint_id, actor=actor, action="not_accept", expected_version=expected_version)
    reason = core.require_text(reason, _("不予受理的理由"))
    c.closed_at = now
    core.move(c, "not_accept", actor=actor, now=now, fields=("closed_at",), reason=reason)
    return c


@transaction.atomic
def case_accept(*, complaint_id: int, actor: User, reason: str = "", expected_version=None, now=None) -> Complaint:
    """The branch takes the case; this is its first response. A handler taking an unassigned case gets it."""
    now = core.now_or(now)
    c = core.lock_case(complaint_id, actor=actor, action="accept", expected_version=expected_version)
    reason = core.optional_text(reason)
    fields = core.mark_first_response(c, actor=actor, now=now)
    if c.accepted_at is None:
        c.accepted_at = now
        fields.append("accepted_at")
    if c.assigned_to_id is None and not actor.has_role(roles.BRANCH_MANAGER):
        _assign(c, to=actor, by=actor, reason=_("受理时自领"), now=now)
        fields.append("assigned_to")
    core.move(c, "accept", actor=actor, now=now, fields=tuple(fields), reason=reason)
    return c


@transaction.atomic
def case_start_investigation(*, complaint_id: int, actor: User, reason: str = "", expected_version=None, now=None):
    now = core.now_or(now)
    c = core.lock_case(complaint_id, actor=actor, action="start_investigation", expected_version=expected_version)
    reason = core.optional_text(reason)
    core.move(c, "start_investigation", actor=actor, now=now, reason=reason)
    return c


@transaction.atomic
def case_accept_and_investigate(
    *, complaint_id: int, actor: User, reason: str = "", expected_version=None, now=None
) -> Complaint:
    """The branch takes the case and starts investigating it in one step: the two transitions
    (``accept``, then ``start_investigation``), each checked by the permission table and logged
    on its own, with the same actor and time, in one transaction (both happen or neither)."""
    now = core.now_or(now)
    # The combined step is itself in the permission table (who may, from which state) ...
    core.lock_case(complaint_id, actor=actor, action="accept_and_investigate", expected_version=expected_version)
    # ... and each transition is checked again as it runs (the row is locked already).
    case_accept(complaint_id=complaint_id, actor=actor, reason=reason, now=now)
    return case_start_investigation(complaint_id=complaint_id, actor=actor, reason=reason, now=now)


@transaction.atomic
def case_draft_decision(
    *,
    complaint_id: int,
    actor: User,
    text: str,
    proposed_result: str,
    redress_amount=None,
    redress_type: str = "none",
    root_cause: str = "",
    expected_version=None,
    now=None,
) -> Decision:
    """A draft decision (proposed result and redress); a new version each time."""
    now = core.now_or(now)
    c = core.lock_case(complaint_id, actor=actor, action="draft_decision", expected_version=expected_version)
    text = core.require_text(text, _("处理意见"), max_length=5000)
    result = parse_result(proposed_result)
    amount, rtype = parse_redress(redress_amount, redress_type)
    code = parse_root_cause(root_cause) if (root_cause or "").strip() else None
    version = (c.decisions.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    decision = Decision.objects.create(
        complaint=c,
        version=version,
        text=text,
        proposed_result=result,
        redress_amount=amount,
        redress_type=rtype,
        root_cause_code=code,
        author=actor,
        created_at=now,
    )
    core.move(c, "draft_decision", actor=actor, now=now, reason=text[:500], data={"version": version})
    return decision


def _latest_decision(c: Complaint) -> Decision | None:
    return c.decisions.order_by("-version").first()


@transaction.atomic
def case_submit_for_review(*, complaint_id: int, actor: User, reason: str = "", expected_version=None, now=None):
    now = core.now_or(now)
    c = core.lock_case(complaint_id, actor=actor, action="submit_for_review", expected_version=expected_version)
    reason = core.optional_text(reason)
    decision = _latest_decision(c)
    if decision is None or decision.review != Decision.Review.PENDING:
        raise InvalidInput(_("请先拟定处理意见再提交审核"))
    core.move(c, "submit_for_review", actor=actor, now=now, reason=reason, data={"version": decision.version})
    notify.notify(
        notify.ho_staff(),
        complaint=c,
        kind="review_requested",
        title=_("待审核处理意见：%(ref)s") % {"ref": c.reference},
        key=f"review:{c.pk}:{decision.version}",
    )
    return c


@transaction.atomic
def case_review(
    *, complaint_id: int, actor: User, approve: bool, comment: str = "", expected_version=None, now=None
) -> Complaint:
    """Head office approves the branch's decision, or returns it with comments (required)."""
    now = core.now_or(now)
    action = "approve_decision" if approve else "return_to_branch"
    c = core.lock_case(complaint_id, actor=actor, action=action, expected_version=expected_version)
    comment = core.optional_text(comment, _("审核意见")) if approve else core.require_text(comment, _("退回意见"))
    decision = _latest_decision(c)
    if decision is not None:
        decision.review = Decision.Review.APPROVED if approve else Decision.Review.RETURNED
        decision.reviewed_by, decision.reviewed_at, decision.review_comment = actor, now, comment
        decision.save(update_fields=["review", "reviewed_by", "reviewed_at", "review_comment"])
    fields: tuple[str, ...] = ()
    if approve:
        c.decided_at = now
        fields = ("decided_at",)
    core.move(c, action, actor=actor, now=now, fields=fields, reason=comment)
    notify.notify(
        [c.assigned_to, *notify.branch_managers(c.responsible_org)],
        complaint=c,
        kind="decision_approved" if approve else "decision_returned",
        title=(_("处理意见已审核通过：%(ref)s") if approve else _("处理意见被退回：%(ref)s")) % {"ref": c.reference},
        body=comment,
        key=f"{action}:{c.pk}:{decision.version if decision else 0}",
    )
    return c


@transaction.atomic
def case_respond(
    *,
    complaint_id: int,
    actor: User,
    reason: str = "",
    informed_via: str = "",
    informed_on=None,
    expected_version=None,
    now=None,
) -> Complaint:
    """The approved decision has been told to the customer: the decision clock stops here.

    How it was told is required; when the customer received it defaults to today (a letter's
    later arrival is recorded with ``decision_informed_record``): the verification window runs from it.
    """
    now = core.now_or(now)
    c = core.lock_case(complaint_id, actor=actor, action="respond", expected_version=expected_version)
    reason = core.optional_text(reason)
    informed_on_respond(c, actor=actor, via=informed_via, on=informed_on, now=now)
    c.responded_at = now
    core.move(c, "respond", actor=actor, now=now, fields=("responded_at",), reason=reason)
    return c


@transaction.atomic
def case_close(
    *,
    complaint_id: int,
    actor: User,
    result: str,
    redress_amount,
    redress_type: str,
    root_cause: str,
    reason: str = "",
    expected_version=None,
    now=None,
) -> Complaint:
    """Closing needs the result, the redress (amount and type) and a root-cause C leaf code.

    They must be what head office approved: a result or redress that differs from the
    approved decision is not closed but goes back to head-office review as a new draft
    (the change and who asked for it are on the timeline).
    """
    now = core.now_or(now)
    c = core.lock_case(complaint_id, actor=actor, action="close", expected_version=expected_version)
    reason = core.optional_text(reason)
    result = parse_result(result)
    amount, rtype = parse_redress(redress_amount, redress_type)
    code = parse_root_cause(root_cause)
    approved = approved_decision(c)
    if approved is None:
        raise InvalidInput(_("没有总行审核通过的处理意见，不能办结"))
    approved_amount = (approved.redress_amount or Decimal("0")).quantize(Decimal("0.01"))
    if (result, rtype, amount) != (approved.proposed_result, approved.redress_type, approved_amount):
        return _back_to_review(c, actor=actor, approved=approved, result=result, amount=amount, rtype=rtype,
                               code=code, reason=reason, now=now)  # fmt: skip
    c.result, c.redress_amount, c.redress_type, c.root_cause_code = result, amount, rtype, code
    c.closed_at = now
    fields = (*CLOSING_FIELDS, "closed_at")
    core.move(c, "close", actor=actor, now=now, fields=fields, reason=reason, data={"result": c.result})
    return c


def _back_to_review(c, *, actor, approved, result, amount, rtype, code, reason, now) -> Complaint:
    """The closing result differs from the approved decision: a new draft goes to head office."""
    version = approved.version + 1 + c.decisions.filter(version__gt=approved.version).count()
    text = _("办结时结果与审核通过的处理意见不一致，提交总行重新审核。") + (f"\n{reason}" if reason else "")
    Decision.objects.create(
        complaint=c,
        version=version,
        text=text,
        proposed_result=result,
        redress_amount=amount,
        redress_type=rtype,
        root_cause_code=code,
        author=actor,
        created_at=now,
    )
    was = f"{approved.result_label} / {approved.redress_label} {approved.redress_amount or 0}"
    core.move(
        c,
        "close_changed",
        actor=actor,
        now=now,
        reason=reason or _("办结结果与审核通过的处理意见不一致"),
        data={"version": version, "approved_version": approved.version, "approved": was, "result": result,
              "redress_type": rtype, "redress_amount": str(amount)},
    )  # fmt: skip
    notify.notify(
        notify.ho_staff(),
        complaint=c,
        kind="review_requested",
        title=_("办结结果变更待审核：%(ref)s") % {"ref": c.reference},
        key=f"review:{c.pk}:{version}",
    )
    return c


@transaction.atomic
def case_withdraw(*, complaint_id: int, actor: User, reason: str, expected_version=None, now=None) -> Complaint:
    now = core.now_or(now)
    c = core.lock_case(complaint_id, actor=actor, action="withdraw", expected_version=expected_version)
    reason = core.require_text(reason, _("撤诉说明"))
    c.closed_at = now
    core.move(c, "withdraw", actor=actor, now=now, fields=("closed_at",), reason=reason)
    return c


def merge_undo_days() -> int:
    return int(getattr(settings, "WORKFLOW_UNMERGE_DAYS", 30))


@transaction.atomic
def case_merge(
    *,
    complaint_id: int,
    actor: User,
    into_reference: str,
    reason: str = "",
    override_customer: bool = False,
    expected_version=None,
    now=None,
) -> Complaint:
    """A repeat case closes as merged into the original; the original's clock is untouched.

    Rules (so a merge cannot hide a complaint): a reason is required; the original is the
    same customer's (another customer's only with a head-office override, reason given);
    it is earlier (the earlier case survives) and still open (not closed, withdrawn,
    merged or not accepted); a case past its decision deadline is never merged away.
    """
    from ..timeliness import timeliness_of

    now = core.now_or(now)
    c = core.lock_case(complaint_id, actor=actor, action="merge", expected_version=expected_version)
    reason = core.require_text(reason, _("合并理由"))
    ref = (into_reference or "").strip()
    if not ref:
        raise InvalidInput(_("请填写原投诉编号"))
    target = Complaint.objects.filter(reference=ref).select_related("responsible_org").first()
    if target is None or not org_visible_to(actor, target.responsible_org):
        raise InvalidInput(_("找不到原投诉 %(ref)s") % {"ref": ref})
    if target.pk == c.pk:
        raise InvalidInput(_("不能合并到本投诉自身"))
    if target.status == "merged":
        raise InvalidInput(_("原投诉 %(ref)s 本身已合并，请合并到它的原投诉") % {"ref": ref})
    if target.status in FINAL_STATES:
        raise InvalidInput(
            _("原投诉 %(ref)s 已「%(state)s」，不能合并到已结束的投诉")
            % {"ref": ref, "state": state_label(target.status)}
        )
    if (target.received_at, target.pk) > (c.received_at, c.pk):
        raise InvalidInput(_("只能把较晚的投诉合并到较早的投诉：%(ref)s 晚于本投诉") % {"ref": ref})
    same_customer = c.customer_id is not None and c.customer_id == target.customer_id
    if not same_customer:
        if not override_customer:
            raise InvalidInput(_("原投诉 %(ref)s 不是同一客户的投诉，不能合并") % {"ref": ref})
        if not actor.at_head_office:
            raise ActionDenied(_("合并不同客户的投诉须由总行确认"))
    timely = timeliness_of(c, now=now)
    if timely.overdue or timely.on_time is False:
        raise InvalidInput(
            _("本投诉已超过处理时限（%(due)s），不能合并：超期记录须保留在报表中")
            % {"due": timely.due_date.isoformat()}
        )
    c.merged_into, c.closed_at = target, now
    data = {"into": target.reference, "into_id": target.pk, "due_date": timely.due_date.isoformat()}
    if not same_customer:
        data["customer_override"] = True
    core.move(c, "merge", actor=actor, now=now, fields=("merged_into", "closed_at"), reason=reason, data=data)
    core.log(
        target,
        action="merged_in",
        actor=actor,
        from_state=target.status,
        reason=reason,
        data={"from": c.reference},
        at=now,
    )
    return c


@transaction.atomic
def case_unmerge(*, complaint_id: int, actor: User, reason: str, expected_version=None, now=None) -> Complaint:
    """Head office undoes a merge within ``WORKFLOW_UNMERGE_DAYS``: the case goes back to the
    state it was merged from, with its own clock (derived again from its receipt)."""
    now = core.now_or(now)
    c = core.lock_case(complaint_id, actor=actor, action="unmerge", expected_version=expected_version)
    reason = core.require_text(reason, _("撤销合并的理由"))
    merge = c.transitions.filter(action="merge").order_by("-at", "-id").first()
    if merge is None or merge.from_state not in MERGEABLE:
        raise InvalidInput(_("找不到合并记录，不能撤销"))
    if now - merge.at > timedelta(days=merge_undo_days()):
        raise InvalidInput(_("合并已超过 %(n)s 天，不能撤销") % {"n": merge_undo_days()})
    target = c.merged_into
    c.merged_into, c.closed_at = None, None
    core.move(
        c,
        "unmerge",
        actor=actor,
        now=now,
        fields=("merged_into", "closed_at"),
        reason=reason,
        data={"from": target.reference if target else ""},
        args=(merge.from_state,),
    )
    if target is not None:
        core.log(target, action="unmerged_out", actor=actor, from_state=target.status, reason=reason,
                 data={"from": c.reference}, at=now)  # fmt: skip
    return c
