"""Recordings' notification targets (``accounts.notifications``): a notice about a recording (a
typical recording to listen to) is shown while its recipient may open the recording, in
scope or as the flag's audience (``recording_for``'s rule)."""

from __future__ import annotations

from accounts.notifications import NotificationTarget

from .models import CallRecording
from .selectors import recordings_reachable_by


def targets() -> list[NotificationTarget]:
    return [NotificationTarget(CallRecording, visible=recordings_reachable_by)]
