"""Every write of the WeChat intake: take a decrypted message, fetch a voice message's audio,
and staff's two answers to a draft."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditAction, User
from complaints import crypto, pii
from complaints.models import Complaint
from complaints.services.drafts import (
    AckRefused,
    AckUnavailable,
    draft_acknowledge,
    draft_dismiss,
    draft_register,
)

from . import selectors
from .media import MediaUnavailable, SendUnavailable, media_client, message_client
from .messages import Message
from .models import WeChatMessage

logger = logging.getLogger(__name__)

TEXT_MAX = 5000
# The Celery task (wechat/tasks.py) that calls ``voice_fetch``, sent by its name: the task calls
# this module, so this module does not import it back (no import cycle; WeChatConfig.ready
# registers the tasks in every process).
FETCH_VOICE_TASK = "wechat.fetch_voice"
ACK_TASK = "wechat.send_ack"


def _send(task: str, message_id: int) -> None:
    """Queue ``task`` for a message; a broker that is down is logged, never an error for the
    platform or the agent (the message is stored; staff see what was not done)."""
    try:
        current_app.tasks[task].delay(message_id)
    except Exception:  # the callback's reply, or the registration, must not fail on the queue
        logger.exception("wechat message %s: could not queue %s", message_id, task)


@dataclass(frozen=True)
class Received:
    outcome: str  # "draft", "duplicate" or "ignored"
    message: WeChatMessage | None = None
    reason: str = ""  # why a message was ignored (logged; no content)

    @property
    def reply(self) -> str:
        """What the customer is told (a passive reply); "" for an ignored message."""
        if self.message is None:
            return ""
        if self.message.complaint_id:
            return _("您的投诉已登记，投诉编号 %(ref)s。我们将在规定时限内处理并答复您。") % {
                "ref": self.message.complaint.reference
            }
        return _("已收到您的投诉，受理号 %(no)s。客服人员将尽快核实登记并与您联系。") % {"no": self.message.receipt}


def user_key(channel: str, receive_id: str, user: str) -> str:
    """The keyed hash of a customer's platform id. The id is case-sensitive and the PII hash
    normalises case, so its hex form is hashed (one id, one key; two ids, two keys)."""
    return crypto.keyed_hash(f"{channel}:{receive_id}:{user}".encode().hex())


def _masked(user: str) -> str:
    return f"{user[:4]}****{user[-2:]}" if len(user) > 8 else "****"


def message_receive(*, channel: str, message: Message, agent_id: str = "", now: dt.datetime | None = None) -> Received:
    """Keep a customer's text or voice message once (by MsgId) as a draft in the org's queue.

    Ignored (logged, nothing stored): events and message types other than text and voice, an
    empty text, and a sender id that is not a customer's (a WeCom member, a malformed id). The
    same MsgId again (the platform retries when we are slow) returns the first as "duplicate".
    A voice message's audio is fetched after the commit (``voice_fetch``)."""
    kind = message.msg_type
    if kind not in WeChatMessage.Kind.values:
        return _ignored(channel, f"message type {kind[:20]!r} is not taken")
    if not selectors.is_customer_id(channel, message.from_user):
        return _ignored(channel, "sender is not a customer id")
    if kind == WeChatMessage.Kind.TEXT and not message.content.strip():
        return _ignored(channel, "empty text")
    if kind == WeChatMessage.Kind.VOICE and not message.media_id:
        return _ignored(channel, "voice without MediaId")
    platform = selectors.platform(channel)
    key = user_key(channel, platform.crypt.receive_id, message.from_user)
    msg_part = message.msg_id or f"{key[:24]}:{message.create_time}"
    fingerprint = f"{channel}:{msg_part}"[:120]
    existing = WeChatMessage.objects.select_related("complaint").filter(fingerprint=fingerprint).first()
    if existing is not None:
        logger.info("wechat %s message %s delivered again: kept once", channel, existing.pk)
        return Received("duplicate", existing)
    org = selectors.org_for(channel, agent_id or message.agent_id)
    # the platform's clock; a value no calendar holds is dropped (the time it reached us is what counts)
    sent_at = dt.datetime.fromtimestamp(message.create_time, tz=dt.UTC) if 0 < message.create_time < 2**32 else None
    try:
        with transaction.atomic():
            row = WeChatMessage.objects.create(
                channel=channel,
                fingerprint=fingerprint,
                kind=kind,
                user_hash=key,
                user_encrypted=crypto.encrypt(message.from_user),
                user_masked=_masked(message.from_user),
                text=pii.mask_text(message.content.strip())[:TEXT_MAX] if kind == "text" else "",
                media_id=message.media_id[:128],
                sent_at=sent_at,
                received_at=now or timezone.now(),
                owner_org=org,
            )
            if kind == WeChatMessage.Kind.VOICE:
                transaction.on_commit(lambda: _send(FETCH_VOICE_TASK, row.pk))
    except IntegrityError:  # the same MsgId committed by a concurrent delivery
        existing = WeChatMessage.objects.filter(fingerprint=fingerprint).first()
        if existing is None:
            raise
        return Received("duplicate", existing)
    return Received("draft", row)


def _ignored(channel: str, reason: str) -> Received:
    logger.info("wechat %s message ignored: %s", channel, reason)
    return Received("ignored", reason=reason)


def voice_fetch(*, message_id: int) -> str:
    """Fetch a voice message's audio through the media client and store it as a recording, which
    is transcribed like any call; its de-identified words then fill the draft. Returns
    "stored", "already", "missing", or - the reason kept on the message - "unavailable" (the
    platform did not give the audio: worth another try) or "refused" (not audio we take)."""
    from recordings.models import CallRecording
    from recordings.services import recording_receive

    message = WeChatMessage.objects.filter(pk=message_id, kind=WeChatMessage.Kind.VOICE).first()
    if message is None:
        return "missing"
    if message.recording_id:
        return "already"
    try:
        audio = media_client(message.channel).fetch(message.media_id)
        result = recording_receive(
            data=audio,
            name=f"wechat-{message.receipt}",
            owner_org=message.owner_org,
            channel=CallRecording.Channel.OTHER,
            language=settings.WECHAT_VOICE_LANGUAGE,
            call_started_at=message.sent_at,
        )
    except (MediaUnavailable, ValidationError) as exc:
        reason = " ".join(getattr(exc, "messages", None) or [str(exc)])[:200]
        WeChatMessage.objects.filter(pk=message.pk).update(media_error=reason)
        logger.warning("wechat voice %s not stored: %s", message.pk, reason)
        return "unavailable" if isinstance(exc, MediaUnavailable) else "refused"
    WeChatMessage.objects.filter(pk=message.pk).update(recording=result.recording, media_error="")
    return "stored"


def _ack_text(message: WeChatMessage) -> str:
    return _("您的投诉已登记，投诉编号 %(ref)s。我们将在规定时限内处理并答复您。") % {
        "ref": message.complaint.reference
    }


def _ack_send(message: WeChatMessage) -> None:
    """An active customer-service message (客服消息) with the case reference, to the customer's
    platform id (decrypted here only)."""
    user = crypto.decrypt(message.user_encrypted)
    if not user:  # encrypted under a key no longer configured
        raise AckRefused("the customer id does not open with any configured key")
    try:
        message_client(message.channel).send_text(user, _ack_text(message))
    except SendUnavailable as exc:
        raise AckUnavailable(str(exc)) from exc


def wechat_ack_send(*, message_id: int) -> str:
    """Tell the customer the case reference registered from their message, once (the task's body;
    ``complaints.services.drafts.draft_acknowledge`` says what it returns)."""
    return draft_acknowledge(model=WeChatMessage, pk=message_id, send=_ack_send)


def _handling(actor: User) -> dict:
    return {"visible": selectors.messages_visible_to(actor), "may_handle": selectors.can_handle_wechat(actor)}


def wechat_draft_register(*, actor: User, message: WeChatMessage, complaint: Complaint) -> WeChatMessage:
    """Record that staff registered ``complaint`` from this draft (the intake form registers it,
    keyed by the message, so a second submit returns the same case); after the commit the
    customer is sent the case reference (``ACK_TASK``)."""
    return draft_register(
        actor=actor,
        draft=message,
        complaint=complaint,
        on_registered=lambda pk: _send(ACK_TASK, pk),
        **_handling(actor),
    )


def wechat_draft_dismiss(*, actor: User, message: WeChatMessage, reason: str) -> WeChatMessage:
    """Staff say a draft is not a complaint, with the reason (required, masked, audited)."""
    return draft_dismiss(
        actor=actor, draft=message, reason=reason, audit_action=AuditAction.WECHAT_NOT_COMPLAINT, **_handling(actor)
    )
