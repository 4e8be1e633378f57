"""Call QA: rules as data (each edit a new immutable version), a score per call with its hits,
and reviewers' overturns (kept with the reason).

Writes go through ``callqa.services``; the matcher (``callqa.rules``) never reads these models.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import rules


class QaRule(models.Model):
    """The current form of a rule. Saving a change (admin or ``services.rule_save``) writes a new
    ``QaRuleVersion``; scores keep pointing at the versions they were computed with."""

    class Kind(models.TextChoices):
        REQUIRED = rules.REQUIRED, _("必说话术")
        FORBIDDEN = rules.FORBIDDEN, _("禁用语")
        SILENCE = rules.SILENCE, _("长时间静默")
        HOLD = rules.HOLD, _("保持等待")
        OVERTALK = rules.OVERTALK, _("抢话（双方同时说话）")
        TALK_RATIO = rules.TALK_RATIO, _("坐席说话占比")
        RATE = rules.RATE, _("语速")

    key = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    phrases_zh = models.TextField(_("中文话术（每行一条）"), blank=True)
    phrases_en = models.TextField(_("英文话术（每行一条）"), blank=True)
    params = models.JSONField(_("参数"), default=dict, blank=True, help_text=_('阈值，例如 {"max_s": 10}'))
    weight = models.PositiveSmallIntegerField(_("扣分"), default=5)
    active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(_("版本"), default=0, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("质检规则")
        verbose_name_plural = _("质检规则")
        ordering = ["kind", "key"]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    def clean(self) -> None:
        if self.kind in rules.PHRASE_KINDS and not (self.phrases_zh.strip() or self.phrases_en.strip()):
            raise ValidationError(_("话术类规则至少需要一条话术"))
        if not isinstance(self.params, dict):
            raise ValidationError({"params": _("参数须为 JSON 对象")})
        if not 0 < self.weight <= 100:
            raise ValidationError({"weight": _("扣分须在 1 到 100 之间")})

    def content(self) -> dict:
        """What a version freezes (compared to decide whether a save is a new version)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "phrases": {
                lang: [p.strip() for p in text.splitlines() if p.strip()]
                for lang, text in (("zh", self.phrases_zh), ("en", self.phrases_en))
            },
            "params": self.params or {},
            "weight": self.weight,
            "active": self.active,
        }


class QaRuleVersion(models.Model):
    """One frozen form of a rule. Never changed or deleted (scores and hits point at it)."""

    rule = models.ForeignKey(QaRule, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=QaRule.Kind.choices)
    phrases = models.JSONField(default=dict)  # {"zh": [...], "en": [...]}
    params = models.JSONField(default=dict)
    weight = models.PositiveSmallIntegerField()
    active = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("质检规则版本")
        verbose_name_plural = _("质检规则版本")
        ordering = ["rule", "-version"]
        constraints = [models.UniqueConstraint(fields=["rule", "version"], name="uniq_qa_rule_version")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def spec(self) -> rules.RuleSpec:
        return rules.RuleSpec(
            version_id=self.pk,
            key=self.rule.key if "rule" in self._state.fields_cache else str(self.rule_id),
            kind=self.kind,
            weight=self.weight,
            name=self.name,
            phrases={k: tuple(v) for k, v in (self.phrases or {}).items()},
            params=dict(self.params or {}),
        )


class CallScore(models.Model):
    """A call's QA result. ``score`` is recomputed from the live hits when one is overturned."""

    recording = models.OneToOneField("recordings.CallRecording", on_delete=models.CASCADE, related_name="qa_score")
    score = models.PositiveSmallIntegerField(_("质检得分"))
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("坐席"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("团队（机构）"), on_delete=models.PROTECT, related_name="+"
    )
    week = models.DateField(_("周（周一）"))
    speakers_known = models.BooleanField(_("区分坐席/客户"), default=True)
    notes = models.JSONField(default=list, blank=True)  # e.g. ["mono"]
    emotion = models.PositiveSmallIntegerField(_("客户情绪分"), default=0)
    emotion_parts = models.JSONField(default=list, blank=True)  # [{source, label, points, second, evidence}]
    rule_versions = models.ManyToManyField(QaRuleVersion, related_name="+")
    scored_at = models.DateTimeField()

    class Meta:
        verbose_name = _("通话质检结果")
        verbose_name_plural = _("通话质检结果")
        indexes = [
            models.Index(fields=["score", "id"], name="qa_score_queue"),
            models.Index(fields=["team", "score", "id"], name="qa_team_queue"),
            models.Index(fields=["agent", "week"], name="qa_agent_week"),
            models.Index(fields=["team", "week"], name="qa_team_week"),
        ]

    def __str__(self) -> str:
        return f"#{self.recording_id}: {self.score}"


class QaHit(models.Model):
    """Where a rule fired (or, for a required phrase never said, that it did not)."""

    score = models.ForeignKey(CallScore, on_delete=models.CASCADE, related_name="hits")
    rule_version = models.ForeignKey(QaRuleVersion, on_delete=models.PROTECT, related_name="+")
    rule_key = models.CharField(max_length=40)
    weight = models.PositiveSmallIntegerField()
    speaker = models.CharField(max_length=10, blank=True)
    second = models.FloatField(null=True, blank=True)
    end = models.FloatField(null=True, blank=True)
    text = models.CharField(max_length=200, blank=True)  # masked (complaints.pii.mask_text)
    detail = models.CharField(max_length=300, blank=True)
    overturned = models.BooleanField(default=False)
    overturn_reason = models.TextField(blank=True)
    overturned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    overturned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("质检命中")
        verbose_name_plural = _("质检命中")
        ordering = ["score", "second", "id"]

    def __str__(self) -> str:
        return f"{self.rule_key} @ {self.second}"


class CallAudioFacts(models.Model):
    """What the audio of a call shows (``callqa.audio.audio_facts``: voiced stretches, silences,
    over-talk, cues), measured once by the transcription job while it had the decoded audio
    (``recordings.signals.recording_decoded``), so scoring never decodes the upload again."""

    recording = models.OneToOneField(
        "recordings.CallRecording", on_delete=models.CASCADE, related_name="qa_audio_facts"
    )
    facts = models.JSONField()  # callqa.audio.facts_to_json
    version = models.PositiveSmallIntegerField(default=1)  # callqa.audio.FACTS_VERSION when measured
    measured_at = models.DateTimeField()

    class Meta:
        verbose_name = _("通话音频特征")
        verbose_name_plural = _("通话音频特征")

    def __str__(self) -> str:
        return f"#{self.recording_id} audio facts v{self.version}"
