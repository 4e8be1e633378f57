"""Outbound webhook events (endpoints, the outbox, deliveries and their log) and integration
clients (service accounts with API keys). See docs/webhooks.md and docs/integration-api.md."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    CASE_CREATED = "case.created", _("投诉登记")
    STATE_CHANGED = "case.state_changed", _("状态变更")
    DEADLINE_NEAR = "case.deadline_near", _("即将到期")
    OVERDUE = "case.overdue", _("已超期")
    CLOSED = "case.closed", _("办结或终止")


class WebhookEndpoint(models.Model):
    """A receiver of outbound events. Events of a case go to the endpoint when it is active, takes
    the event's type, and the case's responsible organisation is ``org`` or under it (no ``org``:
    every case)."""

    name = models.CharField(_("名称"), max_length=100)
    url = models.URLField(_("接收地址"), max_length=500)
    # Fernet ciphertext (complaints.crypto, the PII encryption key): the secret must be known to
    # sign, so it is encrypted at rest rather than hashed; shown once when made.
    secret_encrypted = models.TextField(editable=False)
    event_types = models.JSONField(_("事件类型"), default=list)
    org = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("机构范围"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("留空表示全部机构"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("事件推送地址")
        verbose_name_plural = _("事件推送地址")

    def __str__(self) -> str:
        return self.name


class CaseEventSequence(models.Model):
    """The last sequence number given to an event of one case: events of a case are numbered
    1, 2, 3… in the order they were recorded (the row lock orders concurrent writers)."""

    complaint_id = models.BigIntegerField(primary_key=True)  # no FK: numbering survives a purge
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.last}"


class OutboundEvent(models.Model):
    """The outbox: written in the transaction of the change it reports; never holds personal data
    (reference, codes, states, org code, dates only)."""

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(_("事件类型"), max_length=40, choices=EventType.choices)
    complaint_id = models.BigIntegerField()
    sequence = models.PositiveIntegerField()
    payload = models.JSONField()
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("推送事件")
        verbose_name_plural = _("推送事件")
        constraints = [models.UniqueConstraint(fields=["complaint_id", "sequence"], name="intg_event_case_seq")]

    def __str__(self) -> str:
        return f"{self.type} #{self.complaint_id}/{self.sequence}"


class Delivery(models.Model):
    """One event to one endpoint. Marked sent only after the receiver answered 2xx: a worker that
    dies between the request and the mark leaves it pending, and it is sent again once its lease
    runs out (at-least-once; receivers de-duplicate by event id)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已送达")
        FAILED = "failed", _("失败")

    event = models.ForeignKey(OutboundEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    complaint_id = models.BigIntegerField()  # the event's, for per-case ordering without a join
    sequence = models.PositiveIntegerField()
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("事件投递")
        verbose_name_plural = _("事件投递")
        constraints = [models.UniqueConstraint(fields=["event", "endpoint"], name="intg_delivery_once")]
        indexes = [
            models.Index(fields=["status", "endpoint", "complaint_id", "sequence"], name="intg_delivery_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} -> {self.endpoint_id} {self.status}"


class DeliveryAttempt(models.Model):
    """The delivery log: one row per request made (or refused before it was made)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="attempts")
    attempt = models.PositiveSmallIntegerField(_("第几次"))
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    status_code = models.PositiveSmallIntegerField(_("响应码"), null=True, blank=True)
    latency_ms = models.PositiveIntegerField(_("耗时（毫秒）"), null=True, blank=True)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    ok = models.BooleanField(_("成功"), default=False)

    class Meta:
        verbose_name = _("投递记录")
        verbose_name_plural = _("投递记录")
        indexes = [models.Index(fields=["endpoint", "-at"], name="intg_attempt_endpoint")]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.attempt} {self.status_code or self.error[:30]}"


class IntegrationClient(models.Model):
    """Another system calling the API as a service account: its ``service_user`` carries the org
    (and so the scoping, as for any user) and roles; ``allowed_actions`` narrows which workflow
    actions it may take through the API (``allows``)."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("服务账号"),
        on_delete=models.PROTECT,
        related_name="integration_client",
    )
    allowed_actions = models.JSONField(_("允许的操作"), default=list, blank=True)
    rate = models.CharField(_("调用频率上限"), max_length=20, default="600/min", help_text=_("如 600/min、20/s"))
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("对接系统")
        verbose_name_plural = _("对接系统")

    def __str__(self) -> str:
        return self.name

    def allows(self, action: str) -> bool:
        """May this client take ``action`` (a workflow permission-table name) through the API?
        The service user's own permissions still apply on top."""
        return self.is_active and action in (self.allowed_actions or [])


class ApiKey(models.Model):
    """An API key of a client. Only ``prefix`` (to find the row) and the SHA-256 of the whole key
    are stored; the key is shown once when created."""

    client = models.ForeignKey(IntegrationClient, on_delete=models.CASCADE, related_name="keys")
    name = models.CharField(_("说明"), max_length=100, blank=True)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API 密钥")
        verbose_name_plural = _("API 密钥")

    def __str__(self) -> str:
        return f"{self.client_id}:{self.prefix}…"


class RegulatorBatch(models.Model):
    """One uploaded regulator transfer file (监管转办清单), kept with each row's outcome, so a bad
    row loses nothing: its values stay (encrypted) for the error report until it is imported.
    See docs/regulator-transfers.md."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("待导入")
        IMPORTED = "imported", _("已导入")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    filename = models.CharField(_("文件名"), max_length=200)
    file_format = models.CharField(_("格式"), max_length=10)
    sha256 = models.CharField(max_length=64, db_index=True)
    header_row = models.PositiveIntegerField(_("表头行"))
    ignored_columns = models.JSONField(_("未识别的列"), default=list, blank=True)
    letters = models.JSONField(default=dict, blank=True)  # column key -> the file's column letter
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.PREVIEWED)
    imported_at = models.DateTimeField(_("导入时间"), null=True, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("监管转办批次")
        verbose_name_plural = _("监管转办批次")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.filename}"


class RegulatorRow(models.Model):
    """One row of a batch: what the preview found and what the import did. ``data_encrypted`` holds
    the row's cells as typed (customer numbers included), encrypted at rest with the PII key; it
    is cleared once the row became a case or was found to be one already."""

    class Outcome(models.TextChoices):
        NEW = "new", _("将新建")
        DUPLICATE = "duplicate", _("重复，跳过")
        ERROR = "error", _("有错误")
        CREATED = "created", _("已新建")
        SKIPPED = "skipped", _("已存在，跳过")
        FAILED = "failed", _("导入失败")

    batch = models.ForeignKey(RegulatorBatch, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField(_("行号"))
    reference = models.CharField(_("监管编号"), max_length=64, blank=True)  # as stored on a case (masked)
    data_encrypted = models.TextField(blank=True, editable=False)
    outcome = models.CharField(_("结果"), max_length=20, choices=Outcome.choices)
    errors = models.JSONField(default=list, blank=True)  # [{"column", "cell", "message"}]
    notes = models.JSONField(default=list, blank=True)  # what the check decided for the row (codes, dates)
    complaint = models.ForeignKey(
        "complaints.Complaint", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("监管转办行")
        verbose_name_plural = _("监管转办行")
        ordering = ["batch", "number"]
        constraints = [models.UniqueConstraint(fields=["batch", "number"], name="intg_regrow_once")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.number} {self.outcome}"
