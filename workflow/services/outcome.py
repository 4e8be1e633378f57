"""What a case's outcome is made of, shared by the case and clock services and by ``core.move``:
the result, redress and root cause as the forms give them, the record every path to "closed"
carries, and how and when the customer was told the decision. Imports no other service module,
so ``core``, ``case`` and ``clock`` import it and not each other (issue 13: ``services.case /
clock / core`` was an import cycle hidden by function-local imports)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from complaints.models import Complaint
from complaints.taxonomy_selectors import code_for_new_case

from ..errors import InvalidInput
from ..models import REDRESS_TYPES, Decision, DeliveryChannel


def approved_decision(c: Complaint) -> Decision | None:
    """The latest approved decision: the one the case closes with and the customer is told."""
    return c.decisions.filter(review=Decision.Review.APPROVED).order_by("-version").first()


MONEY_REDRESS = {"refund", "fee_waiver", "compensation"}


def parse_redress(amount, redress_type: str) -> tuple[Decimal, str]:
    """Redress is an amount (0 allowed) and a type; money types need an amount above 0."""
    if redress_type not in REDRESS_TYPES:
        raise InvalidInput(_("请选择补偿方式"))
    try:
        value = Decimal(str(amount if amount not in (None, "") else "0")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("补偿金额格式不正确")) from None
    if value < 0 or value >= Decimal("1e12"):
        raise InvalidInput(_("补偿金额须在 0 到 999,999,999,999.99 之间"))
    if redress_type in MONEY_REDRESS and value == 0:
        raise InvalidInput(_("退款、减免或经济补偿须填写大于 0 的金额"))
    if redress_type == "none" and value != 0:
        raise InvalidInput(_("选择“无补偿”时金额应为 0"))
    return value, redress_type


def parse_result(result: str) -> str:
    if result not in Complaint.Result.values:
        raise InvalidInput(_("请选择处理结果（成立 / 部分成立 / 不成立）"))
    return result


def parse_root_cause(code: str):
    """A C-axis leaf (原因) code that is in use today."""
    if not (code or "").strip():
        raise InvalidInput(_("请填写根因代码（C 维度末级代码）"))
    try:
        return code_for_new_case(code.strip().upper(), axis="C")
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def closing_record(c: Complaint) -> None:
    """Every path to "closed" carries a result, a redress and a leaf root cause.

    Called by ``core.move`` before any transition into "closed" (closing, a verification's
    conclusion): what the case does not carry yet is taken from the approved decision;
    without one, or without a leaf C code, the case does not close.
    """
    decision = approved_decision(c)
    if not c.result and decision is not None:
        c.result = decision.proposed_result
    if not c.redress_type and decision is not None:
        c.redress_amount, c.redress_type = decision.redress_amount or Decimal("0"), decision.redress_type
    if c.root_cause_code_id is None and decision is not None and decision.root_cause_code_id:
        c.root_cause_code_id = decision.root_cause_code_id
    if not c.result or not c.redress_type:
        raise InvalidInput(_("办结须有处理结果和补偿方式（来自总行审核通过的处理意见）"))
    if c.root_cause_code_id is None:
        raise InvalidInput(_("办结须有根因代码（C 维度末级代码）"))
    code = c.root_cause_code
    parse_root_cause(code.code)  # a leaf C code in use (raises otherwise)


CLOSING_FIELDS = ("result", "redress_amount", "redress_type", "root_cause_code")


def _parse_informed(decision: Decision, *, via: str, on, now) -> tuple[str, date]:
    if via not in DeliveryChannel.values:
        raise InvalidInput(_("请选择告知客户的方式（电话、短信、信函、网点、APP 等）"))
    if not isinstance(on, date):
        raise InvalidInput(_("请填写客户收到处理决定的日期"))
    today = timezone.localtime(now).date()
    approved_on = timezone.localtime(decision.reviewed_at).date() if decision.reviewed_at else None
    if on > today:
        raise InvalidInput(_("客户收到日期不能晚于今天"))
    if approved_on and on < approved_on:
        raise InvalidInput(_("客户收到日期早于处理意见审核通过日期 %(d)s") % {"d": approved_on.isoformat()})
    return via, on


def informed_set(c: Complaint, *, actor: User, via: str, on, now) -> Decision:
    """Record on the approved decision when and how the customer received it (once)."""
    decision = approved_decision(c)
    if decision is None:
        raise InvalidInput(_("尚无审核通过的处理意见"))
    if decision.informed_on is not None:
        raise InvalidInput(_("已登记客户于 %(d)s 收到处理决定，不能更改") % {"d": decision.informed_on.isoformat()})
    decision.informed_via, decision.informed_on = _parse_informed(decision, via=via, on=on, now=now)
    decision.informed_by = actor
    decision.save(update_fields=["informed_via", "informed_on", "informed_by"])
    return decision


def informed_on_respond(c: Complaint, *, actor: User, via: str, on, now) -> None:
    """At "respond": the channel (the form requires it; "other" when a caller omits it); the receipt date defaults to today, except for a
    letter, whose arrival is recorded later (``decision_informed_record``)."""
    decision = approved_decision(c)
    if decision is None:
        raise InvalidInput(_("尚无审核通过的处理意见"))
    if not via:
        # Callers outside the page (imports, older scripts) may not say how; the date is still kept.
        via = DeliveryChannel.OTHER
    if via == DeliveryChannel.LETTER and on is None:
        decision.informed_via, decision.informed_by = via, actor
        decision.save(update_fields=["informed_via", "informed_by"])
        return
    informed_set(c, actor=actor, via=via, on=on or timezone.localtime(now).date(), now=now)
