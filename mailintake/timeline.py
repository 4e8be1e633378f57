"""The case timeline's mail entries: the mail a case was registered from, and replies filed to it."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from .models import InboundMail
from .selectors import mail_for_case


def entries_for(complaint) -> list[dict]:
    entries = []
    for mail in mail_for_case(complaint):
        if mail.status == InboundMail.Status.THREADED:
            title = _("客户来信（回复）：%(s)s") % {"s": mail.subject or _("（无主题）")}
        else:
            title = _("来信登记：%(s)s") % {"s": mail.subject or _("（无主题）")}
        entries.append(
            {
                "at": mail.received_at,
                "title": title,
                "kind": "mail",
                "detail": mail.body[:2000],
                "actor": mail.sender_address,
                "url": reverse("mailintake:detail", args=[mail.pk]),
            }
        )
    return entries
