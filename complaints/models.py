from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField

from voc.labels import Labels

from .fsm import CaseWorkflowMixin
from .states import CaseState


class ClassificationCode(models.Model):
    """One node of the three-axis taxonomy (A channel, B business, C cause).

    Data, not code: editable in the admin. A retired code (inactive or past
    ``valid_to``) stays valid on the cases that already carry it but cannot be
    chosen for a new case.
    """

    class Axis(models.TextChoices):
        CHANNEL = "A", _("A 渠道")
        BUSINESS = "B", _("B 业务")
        CAUSE = "C", _("C 原因")

    code = models.CharField(_("代码"), max_length=12, unique=True)
    axis = models.CharField(_("维度"), max_length=1, choices=Axis.choices)
    level = models.PositiveSmallIntegerField(_("层级"))
    parent = models.ForeignKey(
        "self", verbose_name=_("上级代码"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name_zh = models.CharField(_("中文名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=150)
    keywords_zh = models.CharField(_("中文关键词"), max_length=300, blank=True)
    keywords_en = models.CharField(_("英文关键词"), max_length=300, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_to = models.DateField(_("停用日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("分类代码")
        verbose_name_plural = _("分类代码")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(axis__in=["A", "B", "C"]), name="code_axis_valid"),
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=3), name="code_level_1_3"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from .taxonomy import parse_code

        try:
            parsed = parse_code(self.code)
        except ValueError as exc:
            raise ValidationError({"code": str(exc)}) from exc
        self.axis, self.level = parsed.axis, parsed.level
        if parsed.parent and (self.parent is None or self.parent.code != parsed.parent):
            raise ValidationError({"parent": _("上级代码应为 %(p)s") % {"p": parsed.parent}})
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("停用日期早于生效日期")})


class ContactChannel(models.TextChoices):
    """How a customer prefers to be contacted (stored on the customer)."""

    PHONE = "phone", _("电话")
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")
    WECHAT = "wechat", _("微信")
    LETTER = "letter", _("信函")
    VISIT = "visit", _("到网点面谈")


class ContactTime(models.TextChoices):
    """When a customer prefers to be contacted."""

    ANY = "any", _("任何时间")
    WORKDAY_AM = "workday_am", _("工作日上午")
    WORKDAY_PM = "workday_pm", _("工作日下午")
    EVENING = "evening", _("晚间（18:00–20:00）")
    WEEKEND = "weekend", _("周末")


class Customer(models.Model):
    """A complainant. Sensitive numbers are kept as a keyed hash (exact lookup)
    plus a masked display value; see ``complaints.pii`` and ``complaints.services``."""

    class Title(models.TextChoices):
        MR = "mr", _("先生")
        MS = "ms", _("女士")
        UNKNOWN = "unknown", _("客户")

    name = models.CharField(_("姓名"), max_length=50)
    surname = models.CharField(_("姓"), max_length=10)
    title = models.CharField(_("称谓"), max_length=10, choices=Title.choices, default=Title.UNKNOWN)
    mobile_hash = models.CharField(max_length=64, blank=True, db_index=True)
    mobile_masked = models.CharField(_("手机号"), max_length=20, blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True)
    id_number_masked = models.CharField(_("证件号"), max_length=24, blank=True)
    # Fernet ciphertext of the full numbers, readable only by UNMASK_ROLES through
    # complaints.services.customer_reveal (which audit-logs every view).
    mobile_encrypted = models.TextField(blank=True, editable=False)
    id_number_encrypted = models.TextField(blank=True, editable=False)
    home_org = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("开户机构"), null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # How the customer wants to be reached, as staff were told (issue 14); "" = not stated. Set by
    # complaints.services.customer_contact_set (audit-logged), shown on the case and customer pages.
    contact_channel = models.CharField(
        _("首选联系方式"), max_length=10, choices=ContactChannel.choices, blank=True, default=""
    )
    contact_time = models.CharField(
        _("方便联系时间"), max_length=12, choices=ContactTime.choices, blank=True, default=""
    )
    contact_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    contact_updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        indexes = [models.Index(fields=["name"], name="cmp_customer_name")]  # the list's search by name

    def __str__(self) -> str:
        return self.salutation

    @property
    def salutation(self) -> str:
        """How the customer is addressed outside privileged views: 张先生 / 李女士."""
        return f"{self.surname}{_TITLE_LABELS(self.title)}"


# Translated once per language (voc.labels): a list shows a salutation on every row (issue 12).
_TITLE_LABELS = Labels(Customer.Title.choices)


class CustomerCard(models.Model):
    """A card or account of a customer: never more than first 6 + last 4 digits."""

    class Kind(models.TextChoices):
        DEBIT = "debit", _("借记卡")
        CREDIT = "credit", _("信用卡")
        ACCOUNT = "account", _("账户")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="cards")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    first6 = models.CharField(max_length=6, blank=True)
    last4 = models.CharField(max_length=4)
    issuing_org = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("发卡机构"), null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = _("卡/账户")
        verbose_name_plural = _("卡/账户")

    def __str__(self) -> str:
        return f"{self.first6}******{self.last4}" if self.first6 else f"****{self.last4}"


class Complaint(ConcurrentTransitionMixin, CaseWorkflowMixin, models.Model):
    """A complaint case: structured codes on three axes, the customer, and its workflow state."""

    class Channel(models.TextChoices):
        HOTLINE = "hotline", _("客服热线")
        COUNTER = "counter", _("网点柜面")
        MOBILE_APP = "app", _("手机银行")
        WECHAT = "wechat", _("微信")
        WECOM = "wecom", _("企业微信")  # WeCom 1:1 with an account manager; A axis still A0304
        WEB = "web", _("网站表单")
        EMAIL = "email", _("电子邮件")
        LETTER = "letter", _("信函")
        REGULATOR = "regulator", _("监管转办")

    class Demand(models.TextChoices):
        REFUND = "refund", _("退款")
        FEE_WAIVER = "fee_waiver", _("减免费用")
        APOLOGY = "apology", _("道歉")
        EXPLANATION = "explanation", _("解释说明")
        CORRECTION = "correction", _("更正")
        OTHER = "other", _("其他")

    class Result(models.TextChoices):
        UPHELD = "upheld", _("成立")
        PARTLY_UPHELD = "partly_upheld", _("部分成立")
        NOT_UPHELD = "not_upheld", _("不成立")

    reference = models.CharField(_("投诉编号"), max_length=32, unique=True)
    channel = models.CharField(_("受理渠道"), max_length=20, choices=Channel.choices)
    regulator_reference = models.CharField(_("监管转办编号"), max_length=64, blank=True)
    regulator_received_on = models.DateField(_("监管受理日期"), null=True, blank=True)

    code_a = models.ForeignKey(
        ClassificationCode, verbose_name=_("渠道代码"), on_delete=models.PROTECT, related_name="+"
    )
    code_b = models.ForeignKey(
        ClassificationCode, verbose_name=_("业务代码"), on_delete=models.PROTECT, related_name="+"
    )
    code_c = models.ForeignKey(
        ClassificationCode, verbose_name=_("原因代码"), on_delete=models.PROTECT, related_name="+"
    )

    is_elderly = models.BooleanField(_("老年客户"), default=False)
    is_repeat = models.BooleanField(_("重复投诉"), default=False)
    is_regulator_referred = models.BooleanField(_("监管转办"), default=False)
    is_group_impact = models.BooleanField(_("群体性/监管影响"), default=False)
    has_media_risk = models.BooleanField(_("舆情风险"), default=False)

    summary = models.CharField(_("摘要"), max_length=200)
    details = models.TextField(_("详情"), blank=True, validators=[MaxLengthValidator(5000)])
    # CJK unigrams + bigrams of summary/details (complaints.grams), written by the intake
    # service with the text; PostgreSQL indexes them for 1–2 character searches (吞卡).
    search_grams = models.TextField(blank=True, default="", editable=False)
    demand = models.CharField(_("客户诉求"), max_length=20, choices=Demand.choices, default=Demand.EXPLANATION)
    disputed_amount = models.DecimalField(
        _("争议金额"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )

    received_at = models.DateTimeField(_("收到时间"))
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), null=True, blank=True, on_delete=models.PROTECT, related_name="complaints"
    )
    responsible_org = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("责任机构"), on_delete=models.PROTECT, related_name="complaints"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    repeat_of = models.ForeignKey(
        "self", verbose_name=_("前次投诉"), null=True, blank=True, on_delete=models.SET_NULL, related_name="repeats"
    )

    # --- Workflow state (changed only by workflow.services) ----------------
    status = FSMField(_("状态"), default=CaseState.REGISTERED, max_length=30, protected=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_complaints",
    )
    due_date = models.DateField(_("处理时限"), null=True, blank=True)
    # The decision clock, written only by workflow.timeliness.timeliness_store (never by
    # verification, whose own deadline is in due_date while it runs).
    decision_due_date = models.DateField(_("答复时限"), null=True, blank=True)
    decision_timely = models.BooleanField(_("按时答复"), null=True, blank=True)
    extension_level = models.PositiveSmallIntegerField(_("延期级别"), default=0)
    paused_since = models.DateTimeField(_("暂停开始"), null=True, blank=True)
    paused_days = models.PositiveIntegerField(_("已暂停天数"), default=0)
    first_response_at = models.DateTimeField(_("首次响应时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("作出决定时间"), null=True, blank=True)
    responded_at = models.DateTimeField(_("答复客户时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    result = models.CharField(_("处理结果"), max_length=20, choices=Result.choices, blank=True)
    redress_amount = models.DecimalField(_("补偿金额"), max_digits=14, decimal_places=2, null=True, blank=True)
    redress_type = models.CharField(_("补偿方式"), max_length=30, blank=True)
    root_cause_code = models.ForeignKey(
        ClassificationCode,
        verbose_name=_("根因代码"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    merged_into = models.ForeignKey(
        "self", verbose_name=_("合并至"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged_cases"
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped by every logged workflow event (workflow.services.core.log): part of the version a
    # page or an API client acts on (If-Match), so no change goes unnoticed even at one instant.
    # The database default covers rows written by bulk SQL (bench seeders, data loads).
    version = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    # Set by the retention job (complaints.services.retention) when the case's personal data
    # was removed; codes, dates, org and outcomes stay for the reports.
    anonymised_at = models.DateTimeField(_("匿名化时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("投诉")
        verbose_name_plural = _("投诉")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["-received_at", "-id"], name="cmp_received_desc"),
            models.Index(fields=["responsible_org", "-received_at", "-id"], name="cmp_org_received"),
            models.Index(fields=["status", "due_date"], name="cmp_status_due"),
            models.Index(fields=["responsible_org", "status", "due_date"], name="cmp_org_status_due"),
            models.Index(fields=["customer", "code_b", "-received_at"], name="cmp_repeat_lookup"),
            models.Index(fields=["code_b", "-received_at"], name="cmp_code_b_received"),
            models.Index(fields=["assigned_to", "status"], name="cmp_assignee_status"),
            models.Index(fields=["created_by", "-created_at"], name="cmp_creator_recent"),
            models.Index(fields=["closed_at"], name="cmp_closed_at"),  # the retention job's candidates
            # the list's other orders (complaints.list_selectors.SORTS): nearest deadline, latest change
            models.Index(fields=["due_date", "id"], name="cmp_due_asc"),
            models.Index(fields=["-updated_at", "-id"], name="cmp_updated_desc"),
            # regulator transfer imports look a file's references up (integrations.regulator_rows);
            # most cases have none, so only those that do are indexed (issue 15)
            models.Index(
                fields=["regulator_reference"],
                name="cmp_regulator_ref",
                condition=~models.Q(regulator_reference=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.summary}"

    @property
    def combined_code(self) -> str:
        return f"{self.code_a.code}-{self.code_b.code}-{self.code_c.code}"


# --- Intake support (complaints.services) ---------------------------------------------


class ReferenceCounter(models.Model):
    """Per-year counter behind VOC-2026-0001234 references; the row is locked while a
    case is registered, so two cases never share a number (gaps after a rollback are fine)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("编号计数器")
        verbose_name_plural = _("编号计数器")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class IntakeKey(models.Model):
    """One registration attempt: a form token or an API ``Idempotency-Key``.

    The unique ``key`` makes a replayed POST return the case it created the first time;
    ``fingerprint`` (a hash of the request body) tells a retry from a different request
    that reuses the key.
    """

    key = models.CharField(max_length=200, unique=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    complaint = models.ForeignKey(Complaint, null=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("提交令牌")
        verbose_name_plural = _("提交令牌")

    def __str__(self) -> str:
        return self.key


class RoutingRule(models.Model):
    """Data-driven routing at registration: the first active rule (lowest priority
    number) whose B-code prefix and channel match decides the responsible org.
    Without a matching rule the case goes to the customer's home branch, else head office."""

    class Target(models.TextChoices):
        ORG = "org", _("指定机构")
        HOME_BRANCH = "home_branch", _("客户开户机构")
        CARD_BRANCH = "card_branch", _("发卡机构")

    priority = models.PositiveIntegerField(_("优先级"), default=100, help_text=_("数字越小越先匹配"))
    code_b_prefix = models.CharField(
        _("业务代码前缀"), max_length=12, blank=True, help_text=_("如 B0302；留空匹配全部")
    )
    channel = models.CharField(_("受理渠道"), max_length=20, choices=Complaint.Channel.choices, blank=True)
    target = models.CharField(_("分派到"), max_length=20, choices=Target.choices, default=Target.ORG)
    target_org = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("目标机构"), null=True, blank=True, on_delete=models.PROTECT
    )
    is_active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("分派规则")
        verbose_name_plural = _("分派规则")
        ordering = ["priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(target="org") | models.Q(target_org__isnull=False), name="routing_org_needs_target"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.priority} {self.code_b_prefix or '*'} {self.channel or '*'} → {self.get_target_display()}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.target == self.Target.ORG and self.target_org_id is None:
            raise ValidationError({"target_org": _("请选择目标机构")})
        if self.code_b_prefix and not self.code_b_prefix.startswith("B"):
            raise ValidationError({"code_b_prefix": _("业务代码前缀应以 B 开头")})


class RegulatorInquiry(models.Model):
    """A regulator's inquiry about a case (监管问询/调查). While one is open the case is on hold:
    the retention job neither anonymises nor purges it, whatever its age.

    Opened and closed through ``complaints.services.retention`` (or the admin, audited).
    """

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("投诉"), on_delete=models.PROTECT, related_name="regulator_inquiries"
    )
    reference = models.CharField(_("监管文号"), max_length=64)
    opened_on = models.DateField(_("问询开始日期"))
    closed_on = models.DateField(_("问询结束日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("监管问询")
        verbose_name_plural = _("监管问询")
        ordering = ["-opened_on", "-id"]
        indexes = [models.Index(fields=["complaint", "closed_on"], name="cmp_inquiry_open")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closed_on__isnull=True) | models.Q(closed_on__gte=models.F("opened_on")),
                name="cmp_inquiry_closes_after_opening",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.complaint_id})"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


class SavedView(models.Model):
    """A user's named filters and order of the case list, shown as chips above it.

    Private to its owner: read (``complaints.selectors.saved_views_for``) and written
    (``complaints.services.saved_views``) with the owner as the key. ``query`` is the list's own
    query string (``FilterForm.url_query``), so it never holds a phone or ID number; a customer
    search is not saved (its token expires)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("名称"), max_length=40)
    query = models.CharField(_("查询条件"), max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("常用查询")
        verbose_name_plural = _("常用查询")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="cmp_saved_view_name_per_user")]

    def __str__(self) -> str:
        return self.name
