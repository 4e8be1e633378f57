from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()


@register.filter
def mmss(seconds) -> str:
    """83.4 -> "01:23"; hours when needed."""
    try:
        s = int(float(seconds))
    except (TypeError, ValueError):
        return ""
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


@register.filter
def status_tag(status: str) -> str:
    return {"done": "ok", "no_speech": "warn", "failed": "bad", "processing": "warn"}.get(status, "")


_MUTE_REASONS = {
    "number": _("数字"),
    "cue": _("敏感提示词后"),
    "low_confidence": _("低置信度"),
    "uncovered": _("未转写语音"),
    "email": _("邮箱/拼读字母"),
    "untimed": _("无法定位的文字"),
}


@register.filter
def mute_reason(reason: str) -> str:
    return str(_MUTE_REASONS.get(reason, reason))


@register.filter
def language_name(code: str) -> str:
    return str({"zh": _("普通话"), "en": _("英语")}.get((code or "")[:2], code))
