from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.fields.json import KeyTransform
from django.utils.translation import gettext_lazy as _

from . import roles

org_code_validator = RegexValidator(
    r"^[A-Z]{2,4}(-[A-Z0-9]{2,6}){0,2}$",
    _("机构代码格式应如 HO、BJ、BJ-CY"),
)


class Organisation(models.Model):
    """Head office → branches → sub-branches.

    ``path`` is a materialised path ("HO/BJ/BJ-CY/") so that a subtree is one
    indexed prefix query; it is maintained by ``accounts.services``.
    """

    class Kind(models.TextChoices):
        HEAD_OFFICE = "head_office", _("总行")
        BRANCH = "branch", _("分行")
        SUB_BRANCH = "sub_branch", _("支行")

    code = models.CharField(_("机构代码"), max_length=20, unique=True, validators=[org_code_validator])
    name_zh = models.CharField(_("中文名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    kind = models.CharField(_("层级"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级机构"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("机构")
        verbose_name_plural = _("机构")
        ordering = ["path"]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    def clean(self) -> None:
        expected_parent = {
            self.Kind.HEAD_OFFICE: None,
            self.Kind.BRANCH: self.Kind.HEAD_OFFICE,
            self.Kind.SUB_BRANCH: self.Kind.BRANCH,
        }[self.kind]
        actual = self.parent.kind if self.parent else None
        if actual != expected_parent:
            raise ValidationError({"parent": _("上级机构层级不符")})
        if self.pk and self.children.exclude(kind=self._child_kind()).exists():
            raise ValidationError({"kind": _("有下级机构时不能更改层级")})

    def _child_kind(self) -> str | None:
        return {self.Kind.HEAD_OFFICE: self.Kind.BRANCH, self.Kind.BRANCH: self.Kind.SUB_BRANCH}.get(self.kind)


class UserQuerySet(models.QuerySet):
    def people(self) -> UserQuerySet:
        """Members of staff only, never a service account. Every list of people (whom to
        notify, whom a case may be assigned to, the 回避 pickers, the audit page's person filter)
        starts here: a service account holds roles and an org so that its API calls meet the one
        permission table, but it is not someone to give work or news to."""
        return self.filter(is_service_account=False)


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    """Django's user manager (create_user, natural keys) with ``people()``."""


class User(AbstractUser):
    """A member of staff. Belongs to one organisation and holds one or more roles.

    A service account (``is_service_account``: another system calling the API, made by the
    integrations app) is a user too, so its calls are scoped and permitted as anyone's and the
    timeline names it for what it did; ``User.objects.people()`` leaves it out of every list of
    people."""

    org = models.ForeignKey(
        Organisation, verbose_name=_("所属机构"), null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    # Set once when the account is made (integrations.services.clients); never a person.
    is_service_account = models.BooleanField(_("服务账号"), default=False, editable=False)

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def role_set(self) -> frozenset[str]:
        cached = getattr(self, "_role_cache", None)
        if cached is None:
            cached = frozenset(self.role_grants.values_list("role", flat=True)) if self.pk else frozenset()
            self._role_cache = cached
        return cached

    def has_role(self, *wanted: str) -> bool:
        return bool(self.role_set.intersection(wanted))

    @property
    def at_head_office(self) -> bool:
        return self.org is not None and self.org.kind == Organisation.Kind.HEAD_OFFICE


class RoleGrant(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(_("角色"), max_length=30, choices=roles.ROLE_CHOICES)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="uniq_user_role")]
        indexes = [models.Index(fields=["role", "user"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"

    def clean(self) -> None:
        """A head-office role held outside head office would reach the whole bank (the audit
        trail, every branch's cases): refuse it, also in the admin."""
        user = getattr(self, "user", None)
        if user is not None and roles.misplaced_roles({self.role}, at_head_office=user.at_head_office):
            raise ValidationError(
                {"role": _("「%(role)s」只能授予总行人员") % {"role": roles.ROLE_LABELS.get(self.role, self.role)}}
            )


class AuditAction(models.TextChoices):
    """Every kind of audit event, in one place. The values are what is stored in
    ``AuditEvent.action`` (existing rows, exports and the audit page filter by them): never
    change a value; add a member for a new kind of event. ``audit_record`` refuses any other.

    Adding a member needs no migration: ``AuditEvent.action`` does not list these as its field
    choices (which Django keeps in the migration state, so each new kind used to be a schema
    migration); the refusal of unknown kinds is at write time, in the one writer. A value must
    fit ``AuditEvent.action`` (50 characters; a test checks every member)."""

    ADMIN_ADD = "admin.add", _("后台新增")
    ADMIN_CHANGE = "admin.change", _("后台修改")
    ADMIN_DELETE = "admin.delete", _("后台删除")
    ADMIN_BOOTSTRAP = "admin.bootstrap", _("创建或恢复初始管理员")
    DIRECTORY_LOAD = "directory.load", _("导入机构与人员名录")
    COMPLAINT_LINK_REPEAT = "complaint.link_repeat", _("关联重复投诉")
    CUSTOMER_UNMASK = "customer.unmask", _("查看客户完整号码")
    CUSTOMER_LOOKUP = "customer.lookup", _("按号码查找客户")
    CUSTOMER_CONTACT_SET = "customer.contact_set", _("修改客户联系偏好")
    PII_REKEY = "pii.rekey", _("个人信息更换密钥")
    RETENTION_APPLY = "retention_apply", _("执行保存期限清理")
    RETENTION_DRY_RUN = "retention_dry_run", _("保存期限清理试算")
    REGULATOR_INQUIRY_OPEN = "regulator_inquiry_open", _("登记监管问询")
    REGULATOR_INQUIRY_CLOSE = "regulator_inquiry_close", _("结束监管问询")
    WORKFLOW_DUE_DATES_RECOMPUTED = "workflow.due_dates_recomputed", _("重算办理期限")
    RECORDING_UPLOAD = "recording.upload", _("上传录音")
    RECORDING_LINK = "recording.link", _("录音关联投诉")
    RECORDING_RETRY = "recording.retry", _("重新转写录音")
    RECORDING_PLAY_ORIGINAL = "recording.play_original", _("播放原始录音")
    RECORDING_FLAG = "recording.flag", _("标记典型录音")
    RECORDING_UNFLAG = "recording.unflag", _("取消典型录音")
    RECORDING_SUSPECT_DISMISS = "recording.suspect_dismiss", _("排除疑似未遮盖信息")
    RECORDING_REDACTION_RELEASE = "recording.redaction_release", _("放行去标识录音")
    RECORDING_REDACTION_REJECT = "recording.redaction_reject", _("退回去标识录音")
    RECORDING_TRANSCRIPT_UNMASKED = "recording.transcript_unmasked", _("查看未遮盖转写")
    QA_HIT_OVERTURN = "callqa.hit_overturn", _("推翻质检命中")
    ANALYTICS_EXPORT = "analytics.export", _("导出分析报表")
    ANALYTICS_IMPROVEMENT_CREATE = "analytics.improvement_create", _("新建整改事项")
    ANALYTICS_IMPROVEMENT_STATUS = "analytics.improvement_status", _("更新整改状态")
    REGULATOR_BATCH_UPLOAD = "regulator.batch_upload", _("上传监管转办文件")
    REGULATOR_BATCH_IMPORT = "regulator.batch_import", _("导入监管转办")
    REGULATOR_ERROR_REPORT = "regulator.error_report", _("下载监管转办错误报告")
    REGULATOR_EXPORT = "regulator.export", _("导出监管转办办理结果")
    MAIL_NOT_COMPLAINT = "mail.not_complaint", _("来信认定为非投诉")
    WECHAT_NOT_COMPLAINT = "wechat.not_complaint", _("微信消息认定为非投诉")

    @classmethod
    def label_of(cls, value: str) -> str:
        """A stored kind in words; an old row's unknown kind as it was stored."""
        try:
            return str(cls(value).label)
        except ValueError:
            return value


class AuditEvent(models.Model):
    """Append-only audit trail (unmasked views, plays, exports, admin changes).

    There is no update or delete path: ``accounts.services.audit_record`` only
    inserts, and the admin is read-only.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    # One of AuditAction's values (old rows may hold a kind from before the enum). Not field
    # choices, so a new kind is no migration: audit_record refuses any other value.
    action = models.CharField(_("操作"), max_length=50, db_index=True)
    object_type = models.CharField(max_length=50, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            # The audit page's filters, newest first at any size of the trail.
            models.Index(fields=["action", "at"], name="audit_action_at"),
            models.Index(fields=["actor", "at"], name="audit_actor_at"),
            # Events about a case whose object is something else (a customer revealed from it, a
            # recording uploaded or linked to it) name the case in their data.
            models.Index(KeyTransform("complaint_id", "detail"), name="audit_detail_complaint"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"

    def get_action_display(self) -> str:
        return AuditAction.label_of(self.action)


class Notification(models.Model):
    """An in-app notification for one user (deadline alerts, flagged recordings, rising issues).

    ``dedupe_key`` makes sending idempotent: the same event never notifies the
    same user twice, however often a periodic job runs.

    What it is about, if anything, is named generically as ``AuditEvent`` names its object: the
    target's model label (``complaints.complaint``) and primary key. Accounts names no domain app:
    each app that notifies about its rows registers the type, with who may see such a row, in its
    ``notifications.py`` (``accounts.notifications``); the inbox shows a notification only while
    its recipient may see its target. Not a foreign key, so the owner of the target deletes its
    notifications with it (``notifications_forget``).
    """

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("类型"), max_length=40)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    target_type = models.CharField(_("对象类型"), max_length=50, blank=True)
    target_id = models.BigIntegerField(_("对象编号"), null=True, blank=True)
    dedupe_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="uniq_notification_event"),
            # A target is a type and an id together, or nothing.
            models.CheckConstraint(
                condition=models.Q(target_type="", target_id__isnull=True)
                | (~models.Q(target_type="") & models.Q(target_id__isnull=False)),
                name="notif_target_whole",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notif_inbox"),
            # A case's record of what was sent, and deleting a target's notifications with it.
            models.Index(fields=["target_type", "target_id"], name="notif_target"),
        ]

    def __str__(self) -> str:
        return self.title
