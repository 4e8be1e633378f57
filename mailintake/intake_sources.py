"""The intake form opened from a customer's mail (complaints:intake?mail=<id>): prefilled from it,
registered once per mail, and the mail filed to the new case (contributes to
``complaints.intake_sources``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone

from complaints.intake_sources import IntakeSource, request_param
from complaints.models import Complaint
from voc.params import id_param

from .models import InboundMail
from .selectors import mail_draft_for
from .services import mail_draft_register


def source_for(request) -> list[IntakeSource]:
    """E-mail channel, received when the mail reached the bank (the clock starts then), subject as
    summary, text as details, the sender's name. A mail the user may not see, or one already
    handled otherwise (not a complaint, filed to a case), is refused."""
    raw = request_param(request, "mail")
    if not raw:
        return []
    mail = mail_draft_for(request.user, id_param(raw) or 0)
    if mail is None or mail.status not in (InboundMail.Status.DRAFT, InboundMail.Status.REGISTERED):
        return [IntakeSource.refused("mail")]

    def link(actor, case) -> None:
        try:
            mail_draft_register(actor=actor, mail=mail, complaint=case)
        except ValidationError:
            if getattr(mail, "complaint_id", None) != case.pk:
                raise  # a second submit of the same mail finds it filed to this very case: no warning

    return [
        IntakeSource(
            param="mail",
            pk=mail.pk,
            template="mailintake/_intake_source.html",
            context={"mail": mail},
            initial={
                "channel": Complaint.Channel.EMAIL,
                "summary": " ".join(mail.subject.split())[:200],
                "details": mail.body[:5000],
                "received_at": timezone.localtime(mail.received_at).strftime("%Y-%m-%dT%H:%M"),
                "customer_name": mail.sender_name[:50],
            },
            # A mail is registered once, whoever sends its form and however often.
            intake_key=f"mail:{mail.pk}",
            link=link,
        )
    ]
