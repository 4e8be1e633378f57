"""The intake form opened from a customer's WeChat message (complaints:intake?wechat=<id>):
prefilled from it, registered once per message, and the message (and its voice recording)
filed to the new case (contributes to ``complaints.intake_sources``)."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.utils import timezone

from complaints.intake_sources import IntakeSource, request_param
from complaints.models import Complaint
from voc.params import id_param

from .models import WeChatMessage
from .selectors import message_for, transcript_text
from .services import wechat_draft_register

logger = logging.getLogger(__name__)


def source_for(request) -> list[IntakeSource]:
    """WeChat channel, received when the message reached the bank (the clock starts then), the
    text - or a voice message's de-identified transcript - as details. A message the user may not
    see, or one already marked not a complaint, is refused."""
    raw = request_param(request, "wechat")
    if not raw:
        return []
    message = message_for(request.user, id_param(raw) or 0)
    if message is None or message.status == WeChatMessage.Status.NOT_COMPLAINT:
        return [IntakeSource.refused("wechat")]
    words = transcript_text(message) if message.kind == WeChatMessage.Kind.VOICE else message.text

    def link(actor, case) -> None:
        try:
            wechat_draft_register(actor=actor, message=message, complaint=case)
        except ValidationError:
            if getattr(message, "complaint_id", None) != case.pk:
                raise  # a second submit of the same message finds it filed to this very case
        if message.recording_id:
            from recordings.services import recording_link

            recording_link(actor=actor, recording=message.recording, complaint=case)

    return [
        IntakeSource(
            param="wechat",
            pk=message.pk,
            template="wechat/_intake_source.html",
            context={"wechat": message, "words": words},
            initial={
                "channel": Complaint.Channel.WECOM
                if message.channel == WeChatMessage.Channel.WECOM
                else Complaint.Channel.WECHAT,
                "summary": " ".join(words.split())[:60],
                "details": words[:5000],
                "received_at": timezone.localtime(message.received_at).strftime("%Y-%m-%dT%H:%M"),
            },
            intake_key=f"wechat:{message.pk}",
            link=link,
        )
    ]
