"""Reads with rules: the two platforms' configuration, where a message goes, and who sees it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet

from accounts.models import Organisation, User
from accounts.selectors import org_ids_visible_to
from complaints.services.intake import may_register

from .crypto import MsgCrypt
from .models import WeChatMessage

# An official account's OpenID (28 characters today); a WeCom external contact's id starts with
# wm or wo. Anything else (a WeCom member writing to the app, a forged id) is not a customer.
_USER_SHAPE = {
    WeChatMessage.Channel.OFFICIAL: re.compile(r"[A-Za-z0-9_-]{16,64}"),
    WeChatMessage.Channel.WECOM: re.compile(r"w[mo][A-Za-z0-9_-]{8,62}"),
}


@dataclass(frozen=True)
class Platform:
    channel: str
    crypt: MsgCrypt  # token, EncodingAESKey, receive id (AppID / CorpID)

    @property
    def configured(self) -> bool:
        return bool(self.crypt.token and self.crypt.encoding_aes_key and self.crypt.receive_id)


def platform(channel: str) -> Platform:
    if channel == WeChatMessage.Channel.OFFICIAL:
        crypt = MsgCrypt(settings.WECHAT_OA_TOKEN, settings.WECHAT_OA_AES_KEY, settings.WECHAT_OA_APPID)
    else:
        crypt = MsgCrypt(settings.WECOM_TOKEN, settings.WECOM_AES_KEY, settings.WECOM_CORP_ID)
    return Platform(channel, crypt)


def is_customer_id(channel: str, user: str) -> bool:
    return bool(_USER_SHAPE[channel].fullmatch(user or ""))


def org_for(channel: str, agent_id: str = "") -> Organisation | None:
    """The official account's messages join ``WECHAT_OA_ORG``'s queue; WeCom messages the queue
    of the org configured for the app (AgentID) that received them. No code, or a code that does
    not exist: head office."""
    if channel == WeChatMessage.Channel.OFFICIAL:
        code = settings.WECHAT_OA_ORG
    else:
        code = settings.WECOM_AGENT_ORGS.get(str(agent_id), "")
    found = Organisation.objects.filter(code=code).first() if code else None
    return found or Organisation.objects.filter(parent__isnull=True).order_by("path").first()


def can_handle_wechat(user: User) -> bool:
    """The intake staff (who may register complaints) work the WeChat queue."""
    return user.is_authenticated and may_register(user)


def messages_visible_to(user: User) -> QuerySet[WeChatMessage]:
    if not can_handle_wechat(user):
        return WeChatMessage.objects.none()
    qs = WeChatMessage.objects.select_related("owner_org", "complaint", "recording")
    ids = org_ids_visible_to(user)
    return qs if ids is None else qs.filter(Q(owner_org_id__in=ids) | Q(complaint__responsible_org_id__in=ids))


def queue_for(user: User, *, status: str = WeChatMessage.Status.DRAFT) -> QuerySet[WeChatMessage]:
    qs = messages_visible_to(user).filter(status=status)
    return qs.order_by("received_at", "pk") if status == WeChatMessage.Status.DRAFT else qs.order_by("-received_at")


def message_for(user: User, pk: int) -> WeChatMessage | None:
    return messages_visible_to(user).filter(pk=pk).first()


def transcript_text(message: WeChatMessage) -> str:
    """A voice message's words as intake staff may read them (the de-identified text), once the
    transcription is done; "" before."""
    rec = message.recording
    if rec is None or rec.status != rec.Status.DONE:
        return ""
    return " ".join(s.text_redacted for s in rec.segments.order_by("index") if s.text_redacted).strip()
