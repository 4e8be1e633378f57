"""Recording events for the case timeline (merged by ``workflow.timeline``).

Dicts with ``at``/``title``/``kind``/``detail``/``actor``/``url``. No transcript text
here: the timeline is shown to everyone who sees the case.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from .models import CallRecording
from .selectors import case_recordings


def entries_for(complaint) -> list[dict]:
    entries: list[dict] = []
    for rec in case_recordings(complaint):
        url = reverse("recordings:detail", args=[rec.pk])
        name = rec.original_name or f"#{rec.pk}"
        entries.append(
            {
                "at": rec.created_at,
                "title": _("上传通话录音：%(name)s") % {"name": name},
                "kind": "recording_upload",
                "actor": str(rec.uploaded_by or ""),
                "url": url,
            }
        )
        if rec.finished_at and rec.status in (CallRecording.Status.DONE, CallRecording.Status.NO_SPEECH):
            title = _("录音转写完成") if rec.status == CallRecording.Status.DONE else _("录音中未检测到语音")
            detail = rec.redaction_note and _("脱敏录音不可播放") or ""
            entries.append(
                {"at": rec.finished_at, "title": title, "kind": "recording_transcribed", "detail": detail, "url": url}
            )
        elif rec.finished_at and rec.status == CallRecording.Status.FAILED:
            entries.append(
                {
                    "at": rec.finished_at,
                    "title": _("录音转写失败"),
                    "kind": "recording_failed",
                    "detail": rec.failure_reason[:200],
                    "url": url,
                }
            )
        flag = getattr(rec, "flag", None) if hasattr(rec, "flag") else None
        if flag is not None and flag.is_active:
            entries.append(
                {
                    "at": flag.flagged_at,
                    "title": _("标记为典型录音并推送收听"),
                    "kind": "recording_flag",
                    "actor": str(flag.flagged_by),
                    "url": url,
                }
            )
    return entries
