"""A customer's message waiting in an intake queue (a mail, a WeChat message) until staff register
it as a complaint or say it is not one: the fields every such queue shares. The queues' apps
subclass it (``mailintake.InboundMail``, ``wechat.WeChatMessage``), each with its own ``Status``
choices holding at least draft / registered / not_complaint; the two answers and the
acknowledgement are ``complaints.services.drafts``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

DRAFT, REGISTERED, NOT_COMPLAINT = "draft", "registered", "not_complaint"


class IntakeDraft(models.Model):
    received_at = models.DateTimeField(_("收到时间"), db_index=True)  # the regulator's clock starts here
    owner_org = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("受理机构"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=20, default=DRAFT)  # a subclass gives the choices
    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("投诉"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_reason = models.CharField(_("说明"), max_length=500, blank=True)
    # The customer told the case reference once it is registered (queued after the commit)
    ack_sent_at = models.DateTimeField(_("已告知投诉编号"), null=True, blank=True)
    ack_error = models.CharField(_("告知失败原因"), max_length=200, blank=True)

    # "already handled: <status>" in the queue's own words (a subclass sets it)
    already_handled = _("已处理：%(s)s")

    class Meta:
        abstract = True
