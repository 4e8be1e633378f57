"""Complaints' part of the audit page (``accounts.audit_trail`` asks every app): cases by
their reference, linked to the case page; customers masked (salutation and masked number,
never a full one); regulator inquiries with their case."""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.audit_trail import COMPLAINT, AuditSubject

from .models import Complaint, Customer, RegulatorInquiry

CUSTOMER = "complaints.customer"
INQUIRY = "complaints.regulatorinquiry"


def _ids(values) -> list[int]:
    return [int(v) for v in values if str(v).isascii() and str(v).isdigit() and len(str(v)) <= 18]


def _case(pk: int, reference: str) -> AuditSubject:
    url = reverse("workflow:case", args=[pk])
    return AuditSubject(COMPLAINT, str(pk), reference, url, reference, url)


def describe(refs: Mapping[str, set[str]], case_ids: set[int]) -> list[AuditSubject]:
    out: list[AuditSubject] = []
    wanted = set(_ids(refs.get(COMPLAINT, ()))) | set(case_ids)
    if wanted:
        out += [_case(pk, ref) for pk, ref in Complaint.objects.filter(pk__in=wanted).values_list("pk", "reference")]
    if refs.get(CUSTOMER):
        for c in Customer.objects.filter(pk__in=_ids(refs[CUSTOMER])).only("surname", "title", "mobile_masked"):
            text = " ".join(p for p in (_("客户"), c.salutation, c.mobile_masked) if p)
            out.append(AuditSubject(CUSTOMER, str(c.pk), text))
    if refs.get(INQUIRY):
        inquiries = RegulatorInquiry.objects.filter(pk__in=_ids(refs[INQUIRY])).select_related("complaint")
        for i in inquiries.only("reference", "complaint__reference"):
            case = _case(i.complaint_id, i.complaint.reference)
            text = _("监管问询 %(ref)s") % {"ref": i.reference}
            out.append(AuditSubject(INQUIRY, str(i.pk), text, "", case.case_reference, case.case_url))
    return out


def case_events(reference: str) -> list[Q]:
    """The events about the case ``reference``: the case itself, those naming it in their data
    (a customer revealed from it, a recording uploaded or linked to it) and its inquiries."""
    pk = Complaint.objects.filter(reference=reference).values_list("pk", flat=True).first()
    if pk is None:
        return []
    q = Q(object_type=COMPLAINT, object_id=str(pk)) | Q(detail__complaint_id=pk)
    inquiries = [str(i) for i in RegulatorInquiry.objects.filter(complaint_id=pk).values_list("pk", flat=True)]
    if inquiries:
        q |= Q(object_type=INQUIRY, object_id__in=inquiries)
    return [q]
