from django import template

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
