"""Reads with rules: who works the mail queue, which mail they see, where a recipient's mail goes,
and which case a reply belongs to."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from accounts.models import Organisation, User
from accounts.selectors import org_ids_visible_to
from complaints.models import Complaint
from complaints.services.intake import may_register

from .models import InboundMail
from .parsing import ParsedMail


def can_handle_mail(user: User) -> bool:
    """The intake staff (who may register complaints) work the mail queue."""
    return user.is_authenticated and may_register(user)


def mail_visible_to(user: User) -> QuerySet[InboundMail]:
    """For intake staff only: mail whose receiving org is in the user's scope, and mail filed to a
    case the user may see (a draft registered at head office and routed to a branch is that
    branch's business too)."""
    if not can_handle_mail(user):
        return InboundMail.objects.none()
    qs = InboundMail.objects.select_related("owner_org", "complaint")
    ids = org_ids_visible_to(user)
    return qs if ids is None else qs.filter(Q(owner_org_id__in=ids) | Q(complaint__responsible_org_id__in=ids))


def mail_queue_for(user: User, *, status: str = InboundMail.Status.DRAFT) -> QuerySet[InboundMail]:
    """The intake queue: drafts waiting for a person, oldest first (the regulator's clock runs
    from receipt); another status lists what was done with the mail."""
    qs = mail_visible_to(user).filter(status=status).annotate(attachment_count=Count("attachments"))
    return qs.order_by("received_at", "pk") if status == InboundMail.Status.DRAFT else qs.order_by("-received_at")


def mail_draft_for(user: User, pk: int) -> InboundMail | None:
    return mail_visible_to(user).prefetch_related("attachments").filter(pk=pk).first()


def recipients() -> dict[str, str]:
    """Allowed recipient address (lower case) -> receiving org code ("" = head office)."""
    return {k.strip().lower(): v.strip() for k, v in settings.MAIL_INTAKE_RECIPIENTS.items()}


def recipient_allowed(address: str) -> bool:
    return address.strip().lower() in recipients()


def org_for_recipient(address: str) -> Organisation | None:
    """The org whose queue a recipient's mail joins: the configured one, else the head office."""
    code = recipients().get(address.strip().lower())
    if code is None:
        return None
    if code:
        found = Organisation.objects.filter(code=code).first()
        if found is not None:
            return found
    return Organisation.objects.filter(parent__isnull=True).order_by("path").first()


def case_for_reply(parsed: ParsedMail) -> Complaint | None:
    """The case a message answers: one whose mail (or a reply filed to it) this message's
    In-Reply-To/References name, else the first case reference in the subject that exists.
    A reference to a case that does not exist makes the message a new draft, not a reply."""
    if parsed.thread_ids:
        fingerprints = ["mid:" + mid for mid in parsed.thread_ids]
        earlier = (
            InboundMail.objects.filter(fingerprint__in=fingerprints, complaint__isnull=False)
            .select_related("complaint")
            .order_by("-received_at")
            .first()
        )
        if earlier is not None:
            return earlier.complaint
    for reference in parsed.case_references:
        case = Complaint.objects.filter(reference=reference).first()
        if case is not None:
            return case
    return None


def mail_for_case(complaint: Complaint) -> list[InboundMail]:
    return list(InboundMail.objects.filter(complaint=complaint).order_by("received_at", "pk"))
