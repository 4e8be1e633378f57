"""A customer's message from the WeChat official account or WeCom: kept once per platform
message id, waiting as a draft until intake staff register it or say it is not a complaint.

The customer's platform id (OpenID / external userid) is personal data: stored as a keyed hash
(lookup: "this customer's earlier messages"), Fernet ciphertext (``complaints.crypto``) and a
masked display value, never in clear.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.intake_drafts import IntakeDraft


class WeChatMessage(IntakeDraft):
    class Channel(models.TextChoices):
        OFFICIAL = "official", _("微信公众号")
        WECOM = "wecom", _("企业微信")

    class Status(models.TextChoices):
        DRAFT = "draft", _("待受理")
        REGISTERED = "registered", _("已登记投诉")
        NOT_COMPLAINT = "not_complaint", _("非投诉")

    class Kind(models.TextChoices):
        TEXT = "text", _("文字")
        VOICE = "voice", _("语音")

    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    # "<channel>:<MsgId>": a platform retry (same MsgId) is stored once
    fingerprint = models.CharField(max_length=120, unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    user_hash = models.CharField(max_length=64, db_index=True)
    user_encrypted = models.TextField(editable=False)
    user_masked = models.CharField(_("客户标识"), max_length=20)
    text = models.TextField(_("内容"), blank=True)  # PII masked
    media_id = models.CharField(max_length=128, blank=True)
    media_error = models.CharField(max_length=200, blank=True)
    recording = models.ForeignKey(
        "recordings.CallRecording",
        verbose_name=_("语音"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    # received_at, owner_org, complaint, handled_*, ack_*: IntakeDraft
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT)

    already_handled = _("这条消息已处理：%(s)s")

    class Meta:
        verbose_name = _("微信消息")
        verbose_name_plural = _("微信消息")
        indexes = [models.Index(fields=["status", "owner_org", "-received_at"], name="wechat_queue_idx")]

    def __str__(self) -> str:
        return self.receipt

    @property
    def receipt(self) -> str:
        """The number told to the customer in the reply, until the case reference exists."""
        return f"WX-{self.pk:07d}"  # letter-prefixed: the PII mask leaves it readable
