"""Workflow records kept beside the complaint row.

The complaint's own workflow columns (status, due date, timestamps, result)
live on ``complaints.Complaint``; everything with a history lives here. The
logs (``CaseTransition``, ``CaseComment``, ``Assignment``) are append-only:
services only insert them and the admin is read-only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.states import state_label

# The kinds of redress a decision offers (a decision's redress_type), with their labels.
REDRESS_TYPES = {
    "none": _("无补偿"),
    "refund": _("退款"),
    "fee_waiver": _("减免费用"),
    "compensation": _("经济补偿"),
    "points": _("积分/权益"),
    "apology": _("赔礼道歉"),
    "other": _("其他"),
}


class DeliveryChannel(models.TextChoices):
    """How a decision reached the customer, or how the customer's request reached us."""

    PHONE = "phone", _("电话")
    SMS = "sms", _("短信")
    LETTER = "letter", _("书面信函")
    BRANCH = "branch", _("网点当面")
    APP = "app", _("手机银行/APP")
    EMAIL = "email", _("电子邮件")
    OTHER = "other", _("其他")


class CaseTransition(models.Model):
    """One move of a case: who, when, from, to, why (append-only)."""

    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(_("操作"), max_length=40)
    from_state = models.CharField(_("原状态"), max_length=30, blank=True)
    to_state = models.CharField(_("新状态"), max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("说明"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("状态流转")
        verbose_name_plural = _("状态流转")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["complaint", "at"], name="wf_transition_case_at")]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state} → {self.to_state}"

    @property
    def from_label(self) -> str:
        return state_label(self.from_state)

    @property
    def to_label(self) -> str:
        return state_label(self.to_state)


class CaseComment(models.Model):
    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("内容"), max_length=2000)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("案件备注")
        verbose_name_plural = _("案件备注")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["complaint", "at"], name="wf_comment_case_at")]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.body[:40]}"


class Assignment(models.Model):
    """Who a case was given to, by whom, replacing whom (the assignment history)."""

    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.CASCADE, related_name="assignments")
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    previous = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("说明"), max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("分派记录")
        verbose_name_plural = _("分派记录")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["complaint", "at"], name="wf_assign_case_at")]

    def __str__(self) -> str:
        return f"{self.complaint_id} → {self.assigned_to_id}"


class InvolvedStaff(models.Model):
    """Staff named in a complaint (involved or its subject) must not handle it (回避)."""

    class Kind(models.TextChoices):
        INVOLVED = "involved", _("涉及人员")
        SUBJECT = "subject", _("被投诉人")
        NAMED = "named", _("投诉内容提及")

    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.CASCADE, related_name="involved_staff")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.INVOLVED)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("回避人员")
        verbose_name_plural = _("回避人员")
        constraints = [models.UniqueConstraint(fields=["complaint", "user"], name="wf_involved_once")]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.user_id} ({self.kind})"


class Decision(models.Model):
    """A drafted decision and how head office reviewed it (one row per draft)."""

    class Review(models.TextChoices):
        PENDING = "", _("待审核")
        APPROVED = "approved", _("审核通过")
        RETURNED = "returned", _("退回重办")

    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.CASCADE, related_name="decisions")
    version = models.PositiveSmallIntegerField(default=1)
    text = models.TextField(_("处理意见"), max_length=5000)
    proposed_result = models.CharField(_("拟定结果"), max_length=20)
    redress_amount = models.DecimalField(_("补偿金额"), max_digits=14, decimal_places=2, null=True, blank=True)
    redress_type = models.CharField(_("补偿方式"), max_length=30, blank=True)
    root_cause_code = models.ForeignKey(
        "complaints.ClassificationCode", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    review = models.CharField(max_length=20, choices=Review.choices, default=Review.PENDING, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)
    # When and how the customer received this decision (the verification window runs from it).
    informed_on = models.DateField(_("客户收到处理决定日期"), null=True, blank=True)
    informed_via = models.CharField(_("告知方式"), max_length=20, choices=DeliveryChannel.choices, blank=True)
    informed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A decision changed by the upper level's verification (核实) points to that verification.
    from_verification = models.ForeignKey(
        "VerificationRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="new_decisions"
    )

    class Meta:
        verbose_name = _("处理意见")
        verbose_name_plural = _("处理意见")
        ordering = ["complaint", "version"]
        constraints = [models.UniqueConstraint(fields=["complaint", "version"], name="wf_decision_version")]

    def __str__(self) -> str:
        return f"{self.complaint_id} v{self.version}"

    @property
    def result_label(self) -> str:
        from complaints.models import Complaint

        return str(dict(Complaint.Result.choices).get(self.proposed_result, self.proposed_result))

    @property
    def redress_label(self) -> str:
        return str(REDRESS_TYPES.get(self.redress_type, self.redress_type))


class ApprovalRequest(models.Model):
    """What an extension request and a pause request share: asked by one user, decided by another."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["requested_at", "id"]


class ExtensionRequest(ApprovalRequest):
    """15 → 30 days (level 1, branch manager) or → 60 days (level 2, head-office approver)."""

    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.CASCADE, related_name="extension_requests")
    level = models.PositiveSmallIntegerField(_("延期级别"))
    reason = models.TextField(_("延期理由"), max_length=2000)
    customer_informed = models.BooleanField(_("已告知客户"), default=False)

    class Meta(ApprovalRequest.Meta):
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        constraints = [
            models.UniqueConstraint(
                fields=["complaint"], condition=models.Q(status="pending"), name="wf_one_pending_extension"
            ),
            models.CheckConstraint(condition=models.Q(level__in=[1, 2]), name="wf_extension_level_1_2"),
        ]
        indexes = [models.Index(fields=["status", "level"], name="wf_extension_queue")]

    def __str__(self) -> str:
        return f"{self.complaint_id} L{self.level} {self.status}"


class PauseReason(models.TextChoices):
    APPRAISAL = "appraisal", _("外部鉴定")
    TESTING = "testing", _("检测")
    ASSESSMENT = "assessment", _("评估")


class PauseRequest(ApprovalRequest):
    """A handler asks to stop the clock for an appraisal: its type, a reference or file, an expected end.

    Approved by the branch manager (head office when the manager asked); only then is a
    ``Pause`` opened and the clock stopped.
    """

    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.CASCADE, related_name="pause_requests")
    reason = models.CharField(_("鉴定类型"), max_length=20, choices=PauseReason.choices)
    reference = models.CharField(_("鉴定委托编号/文书号"), max_length=100, blank=True)
    evidence = models.FileField(_("委托书或证明文件"), upload_to="pause_evidence/%Y/%m", blank=True)
    expected_end = models.DateField(_("预计结束日期"))
    note = models.CharField(_("说明"), max_length=500)

    class Meta(ApprovalRequest.Meta):
        verbose_name = _("暂停计时申请")
        verbose_name_plural = _("暂停计时申请")
        constraints = [
            models.UniqueConstraint(
                fields=["complaint"], condition=models.Q(status="pending"), name="wf_one_pending_pause_request"
            ),
            models.CheckConstraint(
                condition=~models.Q(reference="") | ~models.Q(evidence=""), name="wf_pause_request_has_evidence"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.reason} {self.status}"


class Pause(models.Model):
    """The clock stopped for external appraisal, testing or assessment (鉴定、检测、评估)."""

    Reason = PauseReason

    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.CASCADE, related_name="pauses")
    reason = models.CharField(_("暂停原因"), max_length=20, choices=Reason.choices)
    note = models.CharField(_("说明"), max_length=500)
    resume_to = models.CharField(max_length=30)
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    request = models.OneToOneField(PauseRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="pause")
    expected_end = models.DateField(_("预计结束日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("暂停计时")
        verbose_name_plural = _("暂停计时")
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint"], condition=models.Q(ended_at__isnull=True), name="wf_one_open_pause"
            )
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.reason} {self.started_at:%Y-%m-%d}"


class VerificationRequest(models.Model):
    """The customer asks the upper level to verify (核实) the decision; its own 30-day clock."""

    class Outcome(models.TextChoices):
        UPHELD = "upheld", _("维持原处理意见")
        CHANGED = "changed", _("变更处理意见")
        WITHDRAWN = "withdrawn", _("客户撤回核实申请")

    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.CASCADE, related_name="verifications")
    # The decision being verified: one verification per decision.
    decision = models.ForeignKey(
        Decision, null=True, blank=True, on_delete=models.PROTECT, related_name="verifications"
    )
    decision_received_on = models.DateField(_("客户收到处理决定日期"), null=True, blank=True)
    window_end = models.DateField(_("核实申请截止日期"), null=True, blank=True)
    requested_via = models.CharField(_("客户提出方式"), max_length=20, choices=DeliveryChannel.choices, blank=True)
    requested_on = models.DateField(_("客户提出日期"))
    upper_org = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("核实请求"), max_length=2000)
    due_date = models.DateField(_("核实时限"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        verbose_name = _("核实申请")
        verbose_name_plural = _("核实申请")
        ordering = ["recorded_at", "id"]
        constraints = [models.UniqueConstraint(fields=["decision"], name="wf_one_verification_per_decision")]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.requested_on}"


class CaseAlert(models.Model):
    """A deadline event the escalation job has raised (due soon / overdue) for one due date.

    Unique per (case, kind, due date): the job inserts the mark and notifies only
    for new marks, so it can run every few minutes without notifying twice; a
    new due date (extension, pause) is a new event.
    """

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("即将到期")
        OVERDUE = "overdue", _("已超期")
        FIRST_RESPONSE = "first_response", _("首次响应超时")
        PAUSE_OVERDUE = "pause_overdue", _("暂停超过预计结束日期")

    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    due_date = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("时限提醒")
        verbose_name_plural = _("时限提醒")
        constraints = [models.UniqueConstraint(fields=["complaint", "kind", "due_date"], name="wf_alert_once")]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind} {self.due_date}"


class ApiIdempotencyKey(models.Model):
    """An ``Idempotency-Key`` a user sent with a workflow API action, and the answer it got.

    The same key with the same request replays the stored answer instead of acting twice; the
    same key with another request is refused. Kept per user until ``expires_at``
    (``WORKFLOW_API_IDEMPOTENCY_HOURS``), then purged (``services.idempotency``). ``status``
    is null while the first request is still being acted on.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)  # sha256 of method, path and body
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.JSONField(null=True, blank=True)
    etag = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("接口幂等键")
        verbose_name_plural = _("接口幂等键")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="wf_api_idempotency_user_key")]
        indexes = [models.Index(fields=["expires_at"], name="wf_api_idempotency_expiry")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class ReplyTemplate(models.Model):
    """A standard reply to the customer for complaints of one classification code (admin-managed).

    The draft-decision form of a case offers the active templates whose code is the case's B or
    C code or one of their ancestors (``B03`` serves ``B030202``); choosing one puts its text
    into the decision, which the handler edits before drafting. Not a record: edited freely."""

    code = models.ForeignKey(
        "complaints.ClassificationCode", on_delete=models.PROTECT, related_name="+", verbose_name=_("分类代码")
    )
    title = models.CharField(_("模板名称"), max_length=60)
    body = models.TextField(_("答复内容"), max_length=5000)
    is_active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("答复模板")
        verbose_name_plural = _("答复模板")
        ordering = ["code__code", "title"]

    def __str__(self) -> str:
        return self.title  # not the code: no query per row, and none missing on an unsaved row


class InboxSeen(models.Model):
    """When a user last opened one of their inboxes ("new since you last looked").

    A case in the inbox whose ``updated_at`` is later than ``seen_at`` (it arrived, or changed
    state, since) is marked new on the page and counted in the top bar's badge. Written only by
    ``services.seen.inbox_seen_mark`` when the user opens the inbox; one row per user and inbox.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    inbox = models.CharField(max_length=20)  # "inbox" | "mine"
    seen_at = models.DateTimeField()

    class Meta:
        verbose_name = _("待办查看时间")
        verbose_name_plural = _("待办查看时间")
        constraints = [models.UniqueConstraint(fields=["user", "inbox"], name="wf_inbox_seen_user_inbox")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.inbox}"
