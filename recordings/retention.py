"""The recordings' part of the retention job (``complaints.services.retention`` owns the points and
names no app, issue 13): a transcription job still running holds its case; the audio (original,
listening copy, de-identified copy) leaves storage; anonymising clears the transcripts, file names,
notes and comments; a purge deletes the recordings; the play log (``ListeningEvent``, append-only)
keeps a case from being purged - it is anonymised instead. Called inside the job's batch
transaction with the batch's cases locked; a failure propagates (strict points) and the batch
rolls back."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count
from django.utils import timezone

from accounts.services import notifications_forget

from .models import CallRecording, ListeningEvent, RecordingComment, RecordingFlag, TranscriptSegment
from .services.playback import LISTENING_COPY_SUFFIX

_ACTIVE_JOBS = (CallRecording.Status.QUEUED, CallRecording.Status.PROCESSING)


def _of(ids: Iterable[int]):
    return CallRecording.objects.filter(complaint_id__in=list(ids))


def open_work(ids: Iterable[int]) -> list[tuple[int, str, int]]:
    """(case id, "active_recording_jobs", count): transcription jobs queued or running."""
    jobs = _of(ids).filter(status__in=_ACTIVE_JOBS).values_list("complaint_id").annotate(n=Count("id")).order_by()
    return [(pk, "active_recording_jobs", n) for pk, n in jobs]


def stored_files(ids: Iterable[int]) -> list[str]:
    """Names of the cases' audio files, three versions (the storage may no longer have them)."""
    names = []
    for original, redacted in _of(ids).values_list("file", "redacted_file"):
        names += [n for n in (original, original and original + LISTENING_COPY_SUFFIX, redacted) if n]
    return names


def counts(ids: Iterable[int]) -> list[tuple[str, int]]:
    """What the run's report counts of the recordings it removes or anonymises."""
    recordings = _of(ids)
    return [
        ("recordings", recordings.count()),
        ("transcript_segments", TranscriptSegment.objects.filter(recording__in=recordings).count()),
    ]


def kept_by_trail(ids: Iterable[int]) -> list[int]:
    """The cases whose recordings were played: the play log refers to them and is append-only."""
    played = ListeningEvent.objects.filter(recording__complaint_id__in=list(ids))
    return sorted(set(played.values_list("recording__complaint_id", flat=True)))


def _forget_notifications(recordings) -> None:
    """Notifications about the recordings go (their titles name the case); nothing cascades to them."""
    notifications_forget(target_type=CallRecording._meta.label_lower, ids=list(recordings.values_list("pk", flat=True)))


def anonymise(ids: Iterable[int], *, removed: str) -> None:
    """Transcripts deleted; comments and flag notes replaced by ``removed``; file names, the audio's
    hash and the notes on the recording cleared (the job removes the files themselves)."""
    recordings = _of(ids)
    _forget_notifications(recordings)
    TranscriptSegment.objects.filter(recording__in=recordings).delete()
    RecordingComment.objects.filter(recording__in=recordings).update(body=removed)
    RecordingFlag.objects.filter(recording__in=recordings).update(note=removed, is_active=False)
    now = timezone.now()
    for pk in recordings.values_list("pk", flat=True):
        # The audio's hash goes too: the same file uploaded again must become a new recording.
        CallRecording.objects.filter(pk=pk).update(
            file="", redacted_file="", original_name="", sha256=f"retention-removed-{pk}", failure_reason="",
            redaction_note="", suspect_hits=[], updated_at=now,
        )  # fmt: skip


def purge(ids: Iterable[int]) -> None:
    """The recordings go before their cases (a recording protects its case); segments, flags and
    comments cascade. The job purges no case whose recordings were played (``kept_by_trail``)."""
    recordings = _of(ids)
    _forget_notifications(recordings)
    recordings.delete()
