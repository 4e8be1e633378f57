from django.contrib import admin

from accounts.admin_base import ReadOnlyAdmin

from .models import CallRecording, ListeningEvent, RecordingFlag


@admin.register(CallRecording)
class CallRecordingAdmin(ReadOnlyAdmin):
    """Operators look; writes go through the services (upload, link, retry)."""

    list_display = ("id", "original_name", "complaint", "owner_org", "status", "redaction", "attempts", "created_at")
    list_filter = ("status", "redaction", "language", "suspect")
    search_fields = ("original_name", "sha256", "complaint__reference")
    # The unredacted transcript and original audio stay out of the admin.
    exclude = ("file", "redacted_file", "suspect_hits")
    readonly_fields = [
        f.name for f in CallRecording._meta.fields if f.name not in {"file", "redacted_file", "suspect_hits"}
    ]


@admin.register(RecordingFlag)
class RecordingFlagAdmin(ReadOnlyAdmin):
    """Flags are raised and cleared through the services (recording_flag, recording_unflag)."""

    list_display = ("recording", "flagged_by", "flagged_at", "is_active")


@admin.register(ListeningEvent)
class ListeningEventAdmin(ReadOnlyAdmin):
    """Read-only: the listening log is append-only."""

    list_display = ("at", "user", "recording", "version", "via")
    list_filter = ("version", "via")
    search_fields = ("user__username",)
