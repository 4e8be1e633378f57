"""Inbound e-mail: each accepted message once, what became of it, and its attachments.

Writes go through ``mailintake.services``; the database holds the one rule that matters for
retries: a message (by Message-ID, else by its bytes' hash) is stored once.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.intake_drafts import IntakeDraft


class InboundMail(IntakeDraft):
    """One accepted message. A customer's new mail waits as a draft in the intake queue until
    staff register it (with codes) or mark it not a complaint; a reply to a case is filed on
    that case's timeline; a bounce or auto-reply is kept, out of the queue."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("待受理")
        REGISTERED = "registered", _("已登记投诉")
        NOT_COMPLAINT = "not_complaint", _("非投诉")
        THREADED = "threaded", _("已归入投诉")
        IGNORED = "ignored", _("自动回复/退信，已忽略")

    fingerprint = models.CharField(max_length=255, unique=True)  # "mid:<Message-ID>" or "sha256:<hash>"
    message_id = models.CharField(_("邮件ID"), max_length=998, blank=True)
    thread_ids = models.TextField(blank=True)  # In-Reply-To + References, space-separated
    envelope_from = models.CharField(max_length=320, blank=True)
    recipient = models.CharField(_("收件地址"), max_length=320)
    sender_name = models.CharField(_("发件人"), max_length=200, blank=True)
    sender_address = models.CharField(_("发件地址"), max_length=320)
    subject = models.CharField(_("主题"), max_length=500, blank=True)  # PII masked
    body = models.TextField(_("正文"), blank=True)  # PII masked; HTML converted to text
    body_was_html = models.BooleanField(default=False)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    # received_at, owner_org, handled_*, ack_*: IntakeDraft
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    ignored_reason = models.CharField(max_length=200, blank=True)
    complaint = models.ForeignKey(  # a reply filed to a case has one too
        "complaints.Complaint",
        verbose_name=_("投诉"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mails",
    )

    already_handled = _("这封来信已处理：%(s)s")

    class Meta:
        verbose_name = _("来信")
        verbose_name_plural = _("来信")
        indexes = [models.Index(fields=["status", "owner_org", "-received_at"], name="mail_queue_idx")]

    def __str__(self) -> str:
        return f"{self.sender_address}: {self.subject[:40]}"


class MailAttachment(models.Model):
    """An attachment as received. One the desk does not take (type, size, content that is not
    what its name says) is listed with the reason and its bytes are not stored."""

    mail = models.ForeignKey(InboundMail, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64, blank=True)
    file = models.FileField(max_length=255, blank=True)
    refused_reason = models.CharField(_("未保存原因"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.filename
