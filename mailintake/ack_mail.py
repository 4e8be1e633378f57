"""The acknowledgement mail: the sender of a registered draft is told the case reference, in the
subject (their reply then threads to the case: ``selectors.case_for_reply``), as an answer to their
own message, and marked as automatic (RFC 3834) so that an auto-responder does not answer it."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import InboundMail


def ack_subject(reference: str) -> str:
    return _("[%(ref)s] 您的投诉已登记") % {"ref": reference}


def ack_message(mail: InboundMail, reference: str) -> EmailMessage:
    received = timezone.localtime(mail.received_at).strftime("%Y-%m-%d %H:%M")
    body = _(
        "您好：\n\n我们已收到您于 %(at)s 发来的邮件，并已登记为投诉，投诉编号 %(ref)s。"
        "我们将在规定时限内处理并答复您。\n\n如需补充说明或材料，请直接回复本邮件，并保留主题中的投诉编号。"
        "\n\n（本邮件由系统自动发送）"
    ) % {"at": received, "ref": reference}
    references = " ".join(dict.fromkeys([*mail.thread_ids.split(), mail.message_id] if mail.message_id else []))
    headers = {
        "Message-ID": make_msgid("voc-ack", domain=mail.recipient.partition("@")[2] or None),
        "Auto-Submitted": "auto-replied",
    }
    if mail.message_id:
        headers |= {"In-Reply-To": mail.message_id, "References": references}
    return EmailMessage(
        subject=ack_subject(reference),
        body=body,
        from_email=mail.recipient,
        to=[mail.sender_address],
        headers=headers,
    )
