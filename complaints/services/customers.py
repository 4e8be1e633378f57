"""Customers: found by keyed hash of phone or ID number, created when new."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Q, Value, When
from django.utils.translation import gettext as _

from accounts.models import AuditAction, Organisation, User
from accounts.selectors import can_reveal_mobile, can_unmask
from accounts.services import audit_record

from .. import crypto, pii
from ..models import Complaint, Customer, CustomerCard

_WRITTEN_DIGIT = re.compile(r"[0-9０-９]")
# Two-character surnames; everything else takes the first character.
_COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "司徒", "夏侯")


@dataclass
class CustomerInput:
    """What the agent or the web form says about the customer (clear values, never stored)."""

    name: str = ""
    title: str = Customer.Title.UNKNOWN
    mobile: str = ""
    id_number: str = ""
    home_org: Organisation | None = None
    card_number: str = ""
    card_kind: str = CustomerCard.Kind.CREDIT
    card_issuing_org: Organisation | None = None


@dataclass(frozen=True)
class CleanCustomer:
    name: str
    surname: str
    title: str
    mobile: str
    id_number: str
    card: tuple[str, str] | None  # (first6, last4)
    card_kind: str


def name_required_message() -> str:
    return _("请填写客户姓名")


def surname_of(name: str) -> str:
    name = name.strip()
    for compound in _COMPOUND_SURNAMES:
        if name.startswith(compound):
            return compound
    return name[:1]


def name_has_digits(name: str) -> bool:
    """A name holds written digits (0-9, ０-９), a phone/ID/card number however it is written
    (幺三八..., "one three eight ..."), or nothing but numerals (一二三). Chinese numerals
    inside a name are fine: 张三, 王一."""
    if _WRITTEN_DIGIT.search(name) or pii.find_sensitive(name):
        return True
    read = re.sub(r"[\W_]", "", pii.normalize_numbers(name)[0])
    return read.isdigit()


def customer_clean(data: CustomerInput, *, require_identity: bool = True, require_name: bool = True) -> CleanCustomer:
    """Validate and normalise; ValidationError with one message per bad field.

    ``require_name=False``: a blank name is let through (a returning customer, found by
    number, keeps the name on file); the caller decides whether the customer is known."""
    errors: dict[str, str] = {}
    name = " ".join(data.name.split())
    if not name:
        if require_name:
            errors["customer_name"] = name_required_message()
    elif len(name) > 50:
        errors["customer_name"] = _("客户姓名过长（最多 50 字）")
    elif name_has_digits(name):
        errors["customer_name"] = _("姓名不能包含数字")
    if data.title not in Customer.Title.values:
        errors["customer_title"] = _("称谓无效")
    mobile = id_number = ""
    if data.mobile.strip():
        try:
            mobile = pii.normalize_mobile(data.mobile)
        except ValueError:
            errors["mobile"] = _("手机号码格式不正确（应为 11 位，1 开头）")
    if data.id_number.strip():
        try:
            id_number = pii.normalize_id_number(data.id_number)
        except ValueError as exc:
            errors["id_number"] = str(exc)
    if require_identity and not (mobile or id_number) and not {"mobile", "id_number"} & errors.keys():
        errors["mobile"] = _("请填写手机号或证件号，以便识别客户")
    card = None
    if data.card_number.strip():
        try:
            card = pii.card_first6_last4(data.card_number)
        except ValueError:
            errors["card_number"] = _("卡号格式不正确（12-19 位数字）")
    if data.card_kind not in CustomerCard.Kind.values:
        errors["card_kind"] = _("卡片类型无效")
    if errors:
        raise ValidationError(errors)
    title = data.title or Customer.Title.UNKNOWN
    name = pii.mask_text(name)  # defence in depth: the rule above already keeps numbers out
    return CleanCustomer(name, surname_of(name), title, mobile, id_number, card, data.card_kind)


def customer_find_or_create(
    *, data: CustomerInput, clean: CleanCustomer | None = None, for_update: bool = False
) -> tuple[Customer, bool]:
    """The customer with this ID number (first) or mobile (exact, by keyed hash), else a new one.

    Missing details of a known customer (ID, mobile, home org, a new card) are filled in;
    known ones are never overwritten by intake. Returns (customer, created).
    """
    clean = clean or customer_clean(data)
    m_hash = crypto.keyed_hash(clean.mobile) if clean.mobile else ""
    i_hash = crypto.keyed_hash(clean.id_number) if clean.id_number else ""
    # During a key rotation a stored hash may still be under an old key (complaints.crypto).
    m_hashes = crypto.keyed_hash_candidates(clean.mobile) if clean.mobile else []
    i_hashes = crypto.keyed_hash_candidates(clean.id_number) if clean.id_number else []
    customer = None
    qs = Customer.objects.select_for_update() if for_update else Customer.objects.all()
    # One query over both hash indexes (a BitmapOr on PostgreSQL); an ID-number match
    # outranks a mobile match, then the oldest customer. Blank hashes never match.
    match = Q()
    if i_hashes:
        match |= Q(id_number_hash__in=i_hashes)
    if m_hashes:
        match |= Q(mobile_hash__in=m_hashes)
    if match:
        rank = Case(When(id_number_hash__in=i_hashes, then=Value(0)), default=Value(1)) if i_hashes else Value(1)
        customer = qs.filter(match).annotate(_rank=rank).order_by("_rank", "id").first()
    created = customer is None
    if created and not clean.name:
        # Only a customer on file may be registered without a name (customer_clean(require_name=False)).
        raise ValidationError({"customer_name": name_required_message()})
    if created:
        customer = Customer(name=clean.name, surname=clean.surname, title=clean.title)
    changed = created
    if m_hash and not customer.mobile_hash:
        customer.mobile_hash, customer.mobile_masked = m_hash, pii.mask_mobile(clean.mobile)
        customer.mobile_encrypted = crypto.encrypt(clean.mobile)
        changed = True
    if i_hash and not customer.id_number_hash:
        customer.id_number_hash, customer.id_number_masked = i_hash, pii.mask_id_number(clean.id_number)
        customer.id_number_encrypted = crypto.encrypt(clean.id_number)
        changed = True
    if data.home_org is not None and customer.home_org_id is None:
        customer.home_org = data.home_org
        changed = True
    if customer.title == Customer.Title.UNKNOWN and clean.title != Customer.Title.UNKNOWN:
        customer.title = clean.title
        changed = True
    if changed:
        customer.save()
    if clean.card:
        first6, last4 = clean.card
        card, card_created = CustomerCard.objects.get_or_create(
            customer=customer,
            kind=clean.card_kind,
            first6=first6,
            last4=last4,
            defaults={"issuing_org": data.card_issuing_org},
        )
        if not card_created and card.issuing_org_id is None and data.card_issuing_org is not None:
            card.issuing_org = data.card_issuing_org
            card.save(update_fields=["issuing_org"])
    return customer, created


@transaction.atomic(durable=True)
def customer_reveal(*, actor: User, customer: Customer, complaint: Complaint | None = None) -> dict[str, str]:
    """Full phone and ID number for UNMASK_ROLES; the full phone number only (the ID number
    stays masked) for the branch handler a case is assigned to and the branch complaint manager
    over it, asked from that case (``accounts.selectors.can_reveal_mobile``). Every reveal is audit-logged with the fields
    shown and the case it was asked from when there is one (``complaint``: its id, and its
    reference, which stays readable should the case be purged later)."""
    full = can_unmask(actor)
    if not full and not (
        complaint is not None and complaint.customer_id == customer.pk and can_reveal_mobile(actor, complaint)
    ):
        raise PermissionDenied
    case = {"complaint_id": complaint.pk, "case_reference": complaint.reference} if complaint is not None else {}
    fields = ["mobile", "id_number"] if full else ["mobile"]
    audit_record(actor=actor, action=AuditAction.CUSTOMER_UNMASK, obj=customer, fields=fields, **case)
    return {
        "mobile": crypto.decrypt(customer.mobile_encrypted),
        "id_number": crypto.decrypt(customer.id_number_encrypted) if full else customer.id_number_masked,
    }


def customer_lookup_for_intake(*, actor: User, mobile: str = "", id_number: str = "") -> Customer | None:
    """Find a customer by number while taking a complaint (any branch: customers walk in anywhere).

    The lookup reaches the whole bank's customer file, so each one that finds somebody is
    audit-logged (who looked up which customer) for the access reviews banks run on such logs.
    Raises ValueError for a malformed number.
    """
    from ..selectors import customer_lookup

    customer = customer_lookup(mobile=mobile, id_number=id_number)
    if customer is not None:
        audit_record(
            actor=actor,
            action=AuditAction.CUSTOMER_LOOKUP,
            obj=customer,
            by="id_number" if id_number.strip() else "mobile",
        )
    return customer
