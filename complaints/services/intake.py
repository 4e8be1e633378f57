"""Registering a complaint: validation, masking, customer, repeat detection, routing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from accounts.models import AuditAction, Organisation, User
from accounts.selectors import can_write, org_visible_to
from accounts.services import audit_record

from .. import pii
from ..grams import cjk_grams
from ..models import Complaint, IntakeKey, ReferenceCounter
from ..selectors import complaints_for, customer_lookup, repeat_candidate, routing_decide
from ..signals import send_changed, send_registered
from ..taxonomy_selectors import code_for_new_case
from .customers import CleanCustomer, CustomerInput, customer_clean, customer_find_or_create, name_required_message

LATE_ENTRY = dt.timedelta(days=1)  # the same threshold as the registration record (workflow.hooks.LATE_ENTRY)

INTAKE_ROLES = frozenset({roles.AGENT, roles.BRANCH_HANDLER, roles.BRANCH_MANAGER, roles.HO_OFFICER, roles.ADMIN})
SUMMARY_MAX, DETAILS_MAX = 200, 5000
_FUTURE_SKEW = dt.timedelta(minutes=5)


class IntakeKeyReused(Exception):
    """An idempotency key was sent again with a different request body."""

    def __init__(self, complaint: Complaint):
        super().__init__(_("该幂等键已用于另一请求（%(ref)s）") % {"ref": complaint.reference})
        self.complaint = complaint


def may_register(actor: User | None) -> bool:
    """Staff who take complaints: agents, branch handlers/managers, HO officers (never auditors)."""
    if actor is None:
        return True  # the public web form; limited to channel "web" below
    return can_write(actor) and (actor.is_superuser or actor.has_role(*INTAKE_ROLES))


def _reference_next(year: int) -> str:
    # The counter row stays locked until commit: numbers are unique, and a rolled-back
    # registration gives its number back. Two queries per case: lock + read, then write.
    counter = ReferenceCounter.objects.select_for_update().filter(year=year).first()
    if counter is None:  # first case of the year (get_or_create survives a concurrent first)
        ReferenceCounter.objects.get_or_create(year=year)
        counter = ReferenceCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    ReferenceCounter.objects.filter(year=year).update(last=counter.last)
    return f"VOC-{year}-{counter.last:07d}"


def _amount(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError({"disputed_amount": _("金额格式不正确")}) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise ValidationError({"disputed_amount": _("金额应在 0 到 1 万亿之间")})
    return amount.quantize(Decimal("0.01"))


def _existing_for_key(key: str, fingerprint: str) -> Complaint | None:
    found = IntakeKey.objects.select_related("complaint").filter(key=key).first()
    if found is None or found.complaint is None:
        return None
    if fingerprint and found.fingerprint and fingerprint != found.fingerprint:
        raise IntakeKeyReused(found.complaint)
    found.complaint.intake_replayed = True
    return found.complaint


def complaint_register(*, intake_key: str = "", fingerprint: str = "", **fields) -> Complaint:
    """Register a complaint exactly once per ``intake_key`` (form token or Idempotency-Key).

    A replay with the same key returns the first case (``complaint.intake_replayed`` is
    True); the same key with a different ``fingerprint`` raises IntakeKeyReused. Two
    concurrent posts with one key: the unique key lets one win, the other returns its case.
    See ``_register`` for the rules of a registration.
    """
    if intake_key:
        existing = _existing_for_key(intake_key, fingerprint)
        if existing is not None:
            return existing
    try:
        return _register(intake_key=intake_key, fingerprint=fingerprint, **fields)
    except IntegrityError:
        existing = _existing_for_key(intake_key, fingerprint) if intake_key else None
        if existing is None:
            raise
        return existing


@transaction.atomic(durable=True)
def _register(
    *,
    actor: User | None,
    channel: str,
    code_a: str,
    code_b: str,
    code_c: str,
    summary: str,
    customer: CustomerInput,
    details: str = "",
    demand: str = Complaint.Demand.EXPLANATION,
    disputed_amount=None,
    received_at: dt.datetime | None = None,
    regulator_reference: str = "",
    regulator_received_on: dt.date | None = None,
    is_elderly: bool = False,
    is_group_impact: bool = False,
    has_media_risk: bool = False,
    is_regulator_referred: bool = False,
    responsible_org: Organisation | None = None,
    repeat_of: Complaint | None = None,
    involved_staff: Iterable[User] = (),
    late_reason: str | None = None,
    intake_key: str = "",
    fingerprint: str = "",
) -> Complaint:
    """Rules: active leaf code on each axis; summary required (≤200), details ≤5000, both
    stored with card/phone/ID numbers masked; customer identified by mobile or ID;
    regulator-forwarded cases carry the regulator reference; orgs named by the actor must
    be in their scope; same customer + same B code within COMPLAINT_REPEAT_WINDOW_DAYS is
    a repeat; routing rules pick the responsible org unless the actor names one. All or
    nothing: any error raises ValidationError and saves nothing."""
    if not may_register(actor):
        raise PermissionDenied
    now = timezone.now()
    errors: dict[str, str] = {}
    if channel not in Complaint.Channel.values:
        errors["channel"] = _("受理渠道无效")
    elif actor is None and channel != Complaint.Channel.WEB:
        errors["channel"] = _("公众提交只能使用网站渠道")
    received_at = received_at or now
    if received_at > now + _FUTURE_SKEW:
        errors["received_at"] = _("收到时间不能晚于当前时间")
    # Staff entering a case logged late say why (None: an import or the demo, which are not staff input).
    if late_reason is not None and now - received_at > LATE_ENTRY and not late_reason.strip():
        errors["late_reason"] = _("收到时间早于现在超过 1 天，请说明补录原因")
    codes = {}
    for axis, value in (("A", code_a), ("B", code_b), ("C", code_c)):
        try:
            codes[axis] = code_for_new_case((value or "").strip().upper(), axis=axis, on=timezone.localdate(now))
        except ValueError as exc:
            errors[f"code_{axis.lower()}"] = _("请选择%(axis)s维度代码") % {"axis": axis} if not value else str(exc)
    summary = " ".join((summary or "").split())
    if not summary:
        errors["summary"] = _("请填写投诉摘要")
    elif len(summary) > SUMMARY_MAX:
        errors["summary"] = _("摘要最多 %(n)d 字（现 %(len)d 字）") % {
            "n": SUMMARY_MAX,
            "len": len(summary),
        }
    details = (details or "").strip()
    if len(details) > DETAILS_MAX:
        errors["details"] = _("详情最多 %(n)d 字（现 %(len)d 字）") % {
            "n": DETAILS_MAX,
            "len": len(details),
        }
    if demand not in Complaint.Demand.values:
        errors["demand"] = _("客户诉求无效")
    regulator_reference = (regulator_reference or "").strip()
    if channel == Complaint.Channel.REGULATOR:
        is_regulator_referred = True
        if not regulator_reference:
            errors["regulator_reference"] = _("监管转办须填写监管编号")
    if len(regulator_reference) > 64:
        errors["regulator_reference"] = _("监管编号过长")
    for name, org in (
        ("home_org", customer.home_org),
        ("card_issuing_org", customer.card_issuing_org),
        ("responsible_org", responsible_org),
    ):
        if org is not None and actor is not None and not org_visible_to(actor, org):
            errors[name] = _("所选机构不在您的权限范围内")
    try:
        amount = _amount(disputed_amount)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    try:
        # A returning customer (found by number) may come without a name: the one on file is
        # kept, as intake never overwrites a known customer's details (customer_find_or_create).
        clean_customer = customer_clean(customer, require_name=False)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    else:
        if not clean_customer.name and not _on_file(clean_customer):
            errors["customer_name"] = name_required_message()
    if errors:
        raise ValidationError(errors)

    if intake_key:
        # Claimed first, so a concurrent post with the same key waits here and then fails
        # on the unique index instead of creating a second case.
        key_row = IntakeKey.objects.create(key=intake_key, fingerprint=fingerprint)
    person, _created = customer_find_or_create(data=customer, clean=clean_customer)
    if repeat_of is not None:
        if repeat_of.customer_id != person.id or (
            actor is not None and not complaints_for(actor).filter(pk=repeat_of.pk).exists()
        ):
            raise ValidationError({"repeat_of": _("只能关联同一客户的投诉")})
    else:
        repeat_of = repeat_candidate(customer=person, code_b_id=codes["B"].id, received_at=received_at)

    if responsible_org is None:
        card_org = None
        if clean_customer.card:
            first6, last4 = clean_customer.card
            card = person.cards.filter(first6=first6, last4=last4, kind=clean_customer.card_kind).first()
            card_org = card.issuing_org if card else None
        responsible_org = routing_decide(
            code_b=codes["B"].code, channel=channel, home_org=person.home_org, card_issuing_org=card_org
        ).org

    summary, details = pii.mask_text(summary), pii.mask_text(details)
    # A regulator's reference is not customer data, but it is typed free text that is shown
    # and exported everywhere: masked like every other free text (JG-2026-0042 is kept).
    regulator_reference = pii.mask_text(regulator_reference)[:64]
    complaint = Complaint(
        reference=_reference_next(timezone.localtime(now).year),
        channel=channel,
        regulator_reference=regulator_reference,
        regulator_received_on=regulator_received_on,
        code_a=codes["A"],
        code_b=codes["B"],
        code_c=codes["C"],
        is_elderly=bool(is_elderly),
        is_repeat=repeat_of is not None,
        is_regulator_referred=bool(is_regulator_referred),
        is_group_impact=bool(is_group_impact),
        has_media_risk=bool(has_media_risk),
        summary=summary,
        details=details,
        search_grams=cjk_grams(summary, details),
        demand=demand,
        disputed_amount=amount,
        received_at=received_at,
        accepted_at=now,
        customer=person,
        responsible_org=responsible_org,
        created_by=actor,
        repeat_of=repeat_of,
    )
    complaint.save()
    if intake_key:
        IntakeKey.objects.filter(pk=key_row.pk).update(complaint=complaint)
    send_registered(  # the workflow starts the clock and the timeline in this transaction
        complaint,
        actor=actor,
        involved_staff=list(involved_staff),
        late_reason=pii.mask_text((late_reason or "").strip())[:500],
    )
    send_changed([complaint.id], created=True)  # subscribers (analytics' rollup outbox) record it here
    complaint.intake_replayed = False
    return complaint


def _on_file(clean: CleanCustomer) -> bool:
    return customer_lookup(mobile=clean.mobile, id_number=clean.id_number) is not None


def _changed(ids: list[int]) -> None:
    send_changed(ids)  # subscribers (analytics' rollup outbox) record it in this transaction


@transaction.atomic(durable=True)
def complaint_link_repeat(*, actor: User, complaint: Complaint, repeat_of: Complaint) -> Complaint:
    """Mark ``complaint`` as a repeat of an earlier case of the same customer (agent's "link it").

    Both cases must be visible to the actor; read-only roles cannot link.
    """
    if not may_register(actor) or actor is None:
        raise PermissionDenied
    visible = complaints_for(actor)
    complaint = visible.select_for_update().filter(pk=complaint.pk).first()
    earlier = visible.filter(pk=repeat_of.pk).first()
    if complaint is None or earlier is None:
        raise ValidationError({"repeat_of": _("找不到该投诉")})
    if earlier.pk == complaint.pk or earlier.customer_id != complaint.customer_id or complaint.customer_id is None:
        raise ValidationError({"repeat_of": _("只能关联同一客户的另一件投诉")})
    if (earlier.received_at, earlier.pk) > (complaint.received_at, complaint.pk):
        raise ValidationError({"repeat_of": _("只能关联更早的投诉")})
    Complaint.objects.filter(pk=complaint.pk).update(is_repeat=True, repeat_of=earlier, updated_at=timezone.now())
    complaint.is_repeat, complaint.repeat_of = True, earlier
    audit_record(actor=actor, action=AuditAction.COMPLAINT_LINK_REPEAT, obj=complaint, repeat_of=earlier.reference)
    _changed([complaint.pk])
    return complaint
