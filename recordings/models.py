"""Call recordings, their transcripts, flags for listening, and the append-only play log.

State changes go through ``recordings.services``; this module holds data and the
invariants the database can enforce (unique checksum, one segment per index,
append-only listening events).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CallRecording(models.Model):
    """One audio file of a call. The same bytes uploaded twice are one recording (``sha256``).

    ``complaint`` may be empty (uploaded first, linked later); ``owner_org`` (the uploader's
    organisation) scopes an unlinked recording.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        PROCESSING = "processing", _("转写中")
        DONE = "done", _("已完成")
        NO_SPEECH = "no_speech", _("无语音")
        FAILED = "failed", _("失败")

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("呼入")
        OUTBOUND = "outbound", _("呼出")

    class Channel(models.TextChoices):
        HOTLINE = "hotline", _("客服热线")
        BRANCH_PHONE = "branch_phone", _("网点电话")
        MOBILE_APP = "app", _("手机银行语音")
        OTHER = "other", _("其他")

    class Language(models.TextChoices):
        ZH = "zh", _("普通话")
        EN = "en", _("英语")
        AUTO = "auto", _("自动识别")

    class Redaction(models.TextChoices):
        PENDING = "pending", _("待处理")
        OK = "ok", _("已脱敏")
        REVIEW = "review", _("脱敏待复核")
        NONE = "none", _("无语音，无需脱敏")
        FAILED = "failed", _("无法可靠脱敏")

    class ChannelLayout(models.TextChoices):
        UNKNOWN = "", _("未记录")
        MONO = "mono", _("单声道（不区分说话人）")
        STEREO = "stereo", _("双声道（坐席与客户分轨）")

    class Suspect(models.TextChoices):
        NONE = "", _("无")
        OPEN = "open", _("疑似投诉待核")
        DISMISSED = "dismissed", _("已排除")
        LINKED = "linked", _("已关联投诉")

    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("投诉"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recordings",
    )
    owner_org = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("上传机构"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("原始录音"), max_length=255)
    original_name = models.CharField(_("文件名"), max_length=255, blank=True)
    size_bytes = models.BigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64, unique=True)
    audio_format = models.CharField(_("格式"), max_length=20, blank=True)
    duration_s = models.FloatField(_("时长（秒）"), null=True, blank=True)

    # Call metadata (what the agent knows about the call).
    call_started_at = models.DateTimeField(_("通话时间"), null=True, blank=True)
    direction = models.CharField(_("方向"), max_length=10, choices=Direction.choices, default=Direction.INBOUND)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("坐席"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices, default=Channel.HOTLINE)
    language = models.CharField(_("语言"), max_length=5, choices=Language.choices, default=Language.AUTO)

    # Transcription job.
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    failure_reason = models.TextField(_("失败原因"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)  # claims, ever increasing
    losses = models.PositiveSmallIntegerField(_("进程中断次数"), default=0)  # claims whose worker vanished
    queued_at = models.DateTimeField(_("排队时间"), null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)  # last time a task was sent to the broker
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    engine = models.CharField(_("引擎"), max_length=40, blank=True)
    model_name = models.CharField(_("模型"), max_length=120, blank=True)
    detected_language = models.CharField(max_length=10, blank=True)
    # How the call was transcribed: a stereo call per channel (agent / customer), a mono one as one
    # speaker; empty for recordings transcribed before speakers were told apart.
    channel_layout = models.CharField(
        _("声道"), max_length=6, choices=ChannelLayout.choices, default=ChannelLayout.UNKNOWN, blank=True
    )

    # Redaction of the audio (text redaction lives on each segment).
    redacted_file = models.FileField(_("脱敏录音"), max_length=255, blank=True)
    redaction = models.CharField(_("脱敏"), max_length=10, choices=Redaction.choices, default=Redaction.PENDING)
    redaction_note = models.TextField(_("脱敏说明"), blank=True)
    sensitive_count = models.PositiveIntegerField(default=0)
    # What the listening copy mutes: [[start, end, reason], ...] and seconds per reason
    # (number / cue / low_confidence / uncovered / email / untimed), from recordings.deid.
    mute_spans = models.JSONField(default=list, blank=True)
    muted_seconds = models.JSONField(default=dict, blank=True)
    redaction_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("脱敏复核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    redaction_reviewed_at = models.DateTimeField(_("脱敏复核时间"), null=True, blank=True)

    # Suspected-complaint scan of unlinked recordings.
    suspect = models.CharField(_("疑似投诉"), max_length=10, choices=Suspect.choices, default="", blank=True)
    suspect_hits = models.JSONField(default=list, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("通话录音")
        verbose_name_plural = _("通话录音")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "queued_at"], name="rec_status_queued"),
            models.Index(fields=["owner_org", "-created_at"], name="rec_owner_created"),
            models.Index(fields=["suspect", "-created_at"], name="rec_suspect"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.original_name}"

    @property
    def is_active_job(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.PROCESSING)

    @property
    def org_for_scope(self):
        return self.complaint.responsible_org if self.complaint_id else self.owner_org


class TranscriptSegment(models.Model):
    """One stretch of speech. ``text_redacted`` is what users without the unmask right see.
    ``speaker``: who said it, from the channel of a stereo call; "unknown" on a mono call.

    ``words``: [{"start", "end", "text", "prob"}] with times in seconds, kept for
    audio redaction and the synced player. They carry original text, so they are
    never sent to users who may only see the redacted text.
    """

    class Speaker(models.TextChoices):
        AGENT = "agent", _("坐席")
        CUSTOMER = "customer", _("客户")
        UNKNOWN = "unknown", _("未区分")

    recording = models.ForeignKey(CallRecording, on_delete=models.CASCADE, related_name="segments")
    index = models.PositiveIntegerField()
    start = models.FloatField()
    end = models.FloatField()
    text_original = models.TextField()
    text_redacted = models.TextField()
    confidence = models.FloatField(null=True, blank=True)
    words = models.JSONField(default=list, blank=True)
    has_sensitive = models.BooleanField(default=False)
    speaker = models.CharField(_("说话人"), max_length=10, choices=Speaker.choices, default=Speaker.UNKNOWN)

    class Meta:
        verbose_name = _("转写片段")
        verbose_name_plural = _("转写片段")
        ordering = ["recording", "index"]
        constraints = [models.UniqueConstraint(fields=["recording", "index"], name="uniq_segment_index")]

    def __str__(self) -> str:
        return f"{self.start:.1f}-{self.end:.1f} {self.text_redacted[:40]}"


class RecordingFlag(models.Model):
    """A recording flagged as typical (典型录音) for an audience of roles at organisations.

    ``audience_orgs`` cover their sub-branches; no orgs means "everyone holding an
    audience role who may see the case anyway".
    """

    recording = models.OneToOneField(CallRecording, on_delete=models.CASCADE, related_name="flag")
    flagged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    flagged_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(_("推荐理由"), max_length=1000)
    audience_roles = models.JSONField(_("收听角色"), default=list)
    audience_orgs = models.ManyToManyField("accounts.Organisation", verbose_name=_("收听机构"), blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("典型录音")
        verbose_name_plural = _("典型录音")
        ordering = ["-flagged_at", "-id"]

    def __str__(self) -> str:
        return f"flag #{self.recording_id}"


class ListenReceipt(models.Model):
    """A listener marked a flagged recording as listened."""

    flag = models.ForeignKey(RecordingFlag, on_delete=models.CASCADE, related_name="receipts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    listened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["flag", "user"], name="uniq_listen_receipt")]

    def __str__(self) -> str:
        return f"{self.user_id} listened {self.flag_id}"


class RecordingComment(models.Model):
    recording = models.ForeignKey(CallRecording, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("评论"), max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:40]


class ListeningEvent(models.Model):
    """Append-only: one row per play of a recording (who, when, which version, how).

    Written only by ``recordings.services.listening_event_record``; there is no update
    or delete path and the admin is read-only. ``play_id`` groups the byte-range
    requests a browser makes during one play, so one play is one row.
    """

    class Version(models.TextChoices):
        ORIGINAL = "original", _("原始录音")
        REDACTED = "redacted", _("脱敏录音")

    class Via(models.TextChoices):
        PAGE = "page", _("页面")
        API = "api", _("接口")

    recording = models.ForeignKey(CallRecording, on_delete=models.PROTECT, related_name="plays")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    version = models.CharField(max_length=10, choices=Version.choices)
    via = models.CharField(max_length=5, choices=Via.choices, default=Via.PAGE)
    play_id = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name = _("收听记录")
        verbose_name_plural = _("收听记录")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["recording", "user", "play_id"], name="listen_play_lookup"),
            models.Index(fields=["user", "at"], name="listen_user_at"),  # the play log by person
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.version} #{self.recording_id}"
