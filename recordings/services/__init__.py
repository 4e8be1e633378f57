"""Every write to recordings. Split by concern; import from here."""

from .listening import (
    audience_users,
    listen_mark,
    listening_event_record,
    recording_comment_add,
    recording_flag,
    recording_unflag,
    suspect_dismiss,
    suspect_raise,
)
from .playback import original_playable_path
from .review import recording_redaction_reject, recording_redaction_release
from .transcription import (
    recording_enqueue_on_commit,
    recording_retry,
    recording_transcribe,
    recordings_sweep,
)
from .upload import UploadResult, recording_link, recording_receive, recording_upload

__all__ = [
    "UploadResult",
    "audience_users",
    "listen_mark",
    "listening_event_record",
    "original_playable_path",
    "recording_comment_add",
    "recording_enqueue_on_commit",
    "recording_flag",
    "recording_link",
    "recording_receive",
    "recording_redaction_reject",
    "recording_redaction_release",
    "recording_retry",
    "recording_transcribe",
    "recording_unflag",
    "recording_upload",
    "recordings_sweep",
    "suspect_dismiss",
    "suspect_raise",
]
