"""The mail desk's part of the retention job (``complaints.services.retention`` owns the points and
names no app, issue 13): a mail registered as a case, or a reply filed to one, keeps the sender's
address and name, the subject, the body and the attachments; anonymising the case clears them and
deletes the attachments, purging it deletes the mails (the case link is ``SET_NULL``: without this
they would outlive the case). Attachment files are content-addressed, so a file another mail still
refers to stays. Called inside the job's batch transaction with the batch's cases locked; a failure
propagates (strict points) and the batch rolls back.

Drafts never registered (not a complaint, never handled) and ignored bounces are linked to no case;
the retention policy (``complaints.retention``) has no rule for them, so they are not touched here."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat

from .models import InboundMail, MailAttachment


def _of(ids: Iterable[int]):
    return InboundMail.objects.filter(complaint_id__in=list(ids))


def open_work(ids: Iterable[int]) -> list[tuple[int, str, int]]:
    """A mail holds no case."""
    return []


def stored_files(ids: Iterable[int]) -> list[str]:
    """The attachment files of the cases' mails that no other mail's attachment refers to."""
    ids = list(ids)
    names = set(
        MailAttachment.objects.filter(mail__complaint_id__in=ids).exclude(file="").values_list("file", flat=True)
    )
    shared = MailAttachment.objects.filter(file__in=names).exclude(mail__complaint_id__in=ids)
    return sorted(names - set(shared.values_list("file", flat=True)))


def counts(ids: Iterable[int]) -> list[tuple[str, int]]:
    """What the run's report counts of the mails and attachments it anonymises or deletes."""
    mails = _of(ids)
    return [("mails", mails.count()), ("mail_attachments", MailAttachment.objects.filter(mail__in=mails).count())]


def kept_by_trail(ids: Iterable[int]) -> list[int]:
    """No append-only trail refers to a mail."""
    return []


def anonymise(ids: Iterable[int], *, removed: str) -> None:
    """Sender (address, name, envelope), subject, body, the Message-ID and thread ids (they can
    carry the sender's address) and the notes go, with the attachments (the job removes their
    files); the recipient (our address), times, status and the case link stay."""
    mails = _of(ids)
    MailAttachment.objects.filter(mail__in=mails).delete()
    # The fingerprint is the Message-ID too; it stays unique per mail.
    fingerprint = Concat(Value("retention-removed-"), Cast("pk", output_field=CharField()))
    mails.update(
        fingerprint=fingerprint, message_id="", thread_ids="", envelope_from="", sender_name="",
        sender_address=removed, subject=removed, body=removed, handled_reason="", ack_error="",
    )  # fmt: skip


def purge(ids: Iterable[int]) -> None:
    """The cases' mails go before the cases (their link would only be cleared); attachments cascade."""
    _of(ids).delete()
