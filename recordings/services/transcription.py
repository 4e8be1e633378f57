"""The transcription job and its sweeper.

A job claims the recording (queued → processing, with a short lease that a heartbeat thread
renews while the job works), does the slow work outside any transaction, and stores the
result in one transaction only if it still holds the claim. So:
- a done / no-speech / failed recording is never redone (idempotent on redelivery);
- segments are replaced atomically, a rerun stores them once;
- a worker killed mid-job stops renewing its lease: within RECORDING_LEASE_TTL_S a
  redelivered message takes the job over, or ``recordings_sweep`` queues it again. A lost
  worker does not use up an attempt (RECORDING_MAX_ATTEMPTS counts jobs that failed);
  RECORDING_MAX_LOSSES stops a file that keeps killing workers. The sweeper also re-sends
  queued jobs the broker may have lost.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import tempfile
import threading
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from .. import complaint_cues, stereo
from ..deid import DeidPlan, plan_listening_copy
from ..models import CallRecording, TranscriptSegment
from ..pipeline import Transcript, transcribe_audio
from ..signals import send_decoded, send_transcribed
from .review import redaction_review_notify

log = logging.getLogger(__name__)
S = CallRecording.Status


# --- queueing ------------------------------------------------------------------------


# The job's Celery task (recordings.tasks), found by its name: the task calls this module, so this
# module does not import it back (no import cycle). RecordingsConfig.ready registers the tasks in
# every process; were it missing, the send fails as a broker outage does and the sweep sends again.
TRANSCRIBE_TASK = "recordings.tasks.recording_transcribe_task"


def _send(recording_id: int, countdown: int = 0) -> None:
    try:
        current_app.tasks[TRANSCRIBE_TASK].apply_async(args=[recording_id], countdown=countdown or None)
    except Exception:  # broker down: the job was never sent; the next sweep (every 30 s) sends it
        log.exception("could not queue transcription of recording %s", recording_id)
        try:
            CallRecording.objects.filter(pk=recording_id, status=S.QUEUED).update(enqueued_at=None)
        except Exception:  # the database is gone too: the stale-job rule re-sends it later
            log.exception("could not mark recording %s as not sent", recording_id)


def recording_enqueue_on_commit(recording_id: int, *, countdown: int = 0) -> None:
    """Send the job after the commit (the worker must find the row)."""
    CallRecording.objects.filter(pk=recording_id).update(enqueued_at=timezone.now())
    transaction.on_commit(lambda: _send(recording_id, countdown))


def _lease(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(seconds=settings.RECORDING_LEASE_TTL_S)


def _failed_attempts(rec: CallRecording) -> int:
    """Claims that ended in an error (or are running): lost workers do not count."""
    return rec.attempts - rec.losses


class _Heartbeat:
    """Renews the job's lease every RECORDING_HEARTBEAT_S from a thread of its own (with its
    own database connection) while the slow work runs; stops at the end of the ``with``."""

    def __init__(self, recording_id: int, attempt: int):
        self.recording_id, self.attempt = recording_id, attempt
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{recording_id}", daemon=True)

    def __enter__(self):
        if settings.RECORDING_HEARTBEAT_S > 0:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            while not self._stop.wait(settings.RECORDING_HEARTBEAT_S):
                self.beat()
        finally:
            connection.close()  # this thread's connection

    def beat(self) -> bool:
        """One renewal; False when the claim is no longer ours (or the row is busy)."""
        try:
            with transaction.atomic(durable=True):
                # skip_locked: never wait behind a transaction that holds the row
                row = (
                    CallRecording.objects.select_for_update(skip_locked=True)
                    .filter(pk=self.recording_id, status=S.PROCESSING, attempts=self.attempt)
                    .first()
                )
                if row is None:
                    return False
                row.lease_until = _lease(timezone.now())
                row.save(update_fields=["lease_until"])
                return True
        except Exception:  # a heartbeat must never kill the job; the lease then simply expires
            log.warning("lease renewal of recording %s failed", self.recording_id, exc_info=True)
            return False


# --- the job -------------------------------------------------------------------------


@transaction.atomic(durable=True)
def _claim(recording_id: int) -> CallRecording | None:
    rec = CallRecording.objects.select_for_update().filter(pk=recording_id).first()
    if rec is None or rec.status in (S.DONE, S.NO_SPEECH, S.FAILED):
        return None
    now = timezone.now()
    if rec.status == S.PROCESSING and rec.lease_until and rec.lease_until > now:
        return None  # another worker holds a live lease
    if rec.status == S.PROCESSING:  # a redelivered job whose worker stopped renewing its lease
        rec.losses += 1
        if rec.losses >= settings.RECORDING_MAX_LOSSES:
            _mark_failed(rec, _LOST_TOO_OFTEN, now)
            return None
    if _failed_attempts(rec) >= settings.RECORDING_MAX_ATTEMPTS:
        _mark_failed(rec, rec.failure_reason or "too many attempts / 重试次数已用尽", now)
        return None
    rec.status = S.PROCESSING
    rec.attempts += 1
    rec.started_at = now
    rec.lease_until = _lease(now)
    rec.save(update_fields=["status", "attempts", "losses", "started_at", "lease_until", "updated_at"])
    return rec


_LOST_TOO_OFTEN = "转写进程多次中断 / the worker stopped during transcription too many times"


def _mark_failed(rec: CallRecording, reason: str, now: dt.datetime) -> None:
    rec.status = S.FAILED
    rec.failure_reason = reason[:2000]
    rec.finished_at = now
    rec.lease_until = None
    rec.save(update_fields=["status", "failure_reason", "finished_at", "lease_until", "updated_at"])


def recording_transcribe(*, recording_id: int) -> str:
    """Transcribe, redact and store one recording. Returns the resulting status (or "skipped")."""
    from ..speech import audio, engines
    from ..speech.models import ModelError

    rec = _claim(recording_id)
    if rec is None:
        return "skipped"
    attempt = rec.attempts
    try:
        with _Heartbeat(rec.pk, attempt), tempfile.TemporaryDirectory(prefix="voc-rec-") as tmp:
            # Decoding is fast; the timeout only stops a hostile or broken file.
            decoded = audio.decode_call(
                Path(rec.file.path), Path(tmp), timeout_s=120 + 0.5 * float(rec.duration_s or 0)
            )
            transcript = transcribe_call(decoded, language=rec.language)
            # while the decoded audio exists: whoever measures it (call QA) does so now, not again
            speakers = stereo.channel_speakers(settings.RECORDING_CHANNEL_SPEAKERS) if decoded.stereo else ()
            send_decoded(rec.pk, decoded, speakers)
            plan = listening_plan(transcript, duration_s=transcript.duration_s or rec.duration_s or 0.0)
            redacted_name, note = "", ""
            if has_speech(transcript, plan):
                # a stereo call's copy keeps both channels; every mute covers both (recordings.stereo)
                source = decoded.stereo_wav if decoded.stereo else decoded.mono
                redacted_name, note = _render_redacted(rec, source, plan, attempt)
        _reconnect_if_dropped()
        return _store(rec.pk, attempt, transcript, plan, redacted_name, note)
    except audio.AudioRejected as exc:
        return _fail(rec.pk, attempt, str(exc), permanent=True)
    except (engines.TranscriptionError, ModelError) as exc:  # would fail the same way again
        log.warning("transcription of recording %s failed: %s", rec.pk, exc)
        return _fail(rec.pk, attempt, _user_reason(exc), permanent=True)
    except Exception as exc:  # unexpected (disk, memory, database): retried a bounded number of times
        log.exception("transcription of recording %s failed (attempt %s)", rec.pk, attempt)
        return _fail(rec.pk, attempt, f"{type(exc).__name__}: {_scrub(exc)}", permanent=False)


def _reconnect_if_dropped() -> None:
    """Minutes of transcription are a long time for a database connection (a restart, an idle
    timeout): check it before storing, so the result is saved instead of lost to a dead socket."""
    if connection.connection is not None and not connection.in_atomic_block and not connection.is_usable():
        connection.close()


def transcribe_call(decoded, *, language: str, mode: str | None = None) -> Transcript:
    """Transcribe a decoded call (``speech.audio.decode_call``) with the configured engine: a mono
    call as one transcript whose speaker is unknown; a stereo call labelled by
    RECORDING_CHANNEL_SPEAKERS and interleaved by time, channel by channel or in one pass over the
    mix (``mode``, default RECORDING_STEREO_TRANSCRIPTION; ``recordings.stereo``)."""
    return stereo.transcribe_call_audio(
        decoded,
        language=language,
        speakers=settings.RECORDING_CHANNEL_SPEAKERS,
        mode=mode or settings.RECORDING_STEREO_TRANSCRIPTION,
        transcribe=transcribe_audio,  # looked up here, so tests can stand in for the recogniser
        **engine_settings(),
    )


def engine_settings() -> dict:
    """What ``pipeline.transcribe_audio`` takes from settings besides the file and the language."""
    return {
        "engine_name": settings.TRANSCRIPTION_ENGINE,
        "model_spec": settings.TRANSCRIPTION_MODEL,
        "cache_dir": Path(settings.TRANSCRIPTION_MODEL_CACHE),
        "cpu_threads": settings.TRANSCRIPTION_CPU_THREADS,
    }


def listening_plan(transcript: Transcript, *, duration_s: float) -> DeidPlan:
    """The de-identification plan for a transcript, as the product stores and renders it
    (shared with ``manage.py transcribe --redact`` and bench/redaction.py). A stereo call is
    planned per channel and across both (``recordings.stereo.plan_stereo``)."""
    kw = {
        "language": "en" if transcript.language.startswith("en") else "zh",
        "duration_s": float(duration_s),
        "pad_s": settings.RECORDING_MUTE_PAD_S,
    }
    if transcript.stereo:
        return stereo.plan_stereo(transcript, **kw)
    return plan_listening_copy(transcript.segments, speech=transcript.speech, **kw)


def has_speech(transcript: Transcript, plan: DeidPlan) -> bool:
    """Speech to hide: a transcript, or speech the recogniser produced no text for."""
    return bool(transcript.segments) or plan.uncovered_s > 0


def _user_reason(exc: Exception) -> str:
    from ..speech.models import ModelError

    if isinstance(exc, ModelError):
        return f"转写模型不可用，请联系管理员 / The speech model is not available: {exc}"
    return f"无法转写此录音 / This recording could not be transcribed: {_scrub(exc)}"


def _scrub(exc: Exception) -> str:
    """The error text without server paths (failure reasons are shown to users)."""
    return re.sub(r"(/[^\s:'\"]+)+", "<file>", str(exc))[:500]


def _render_redacted(rec: CallRecording, wav: Path, plan: DeidPlan, attempt: int) -> tuple[str, str]:
    """Render the tone-over-spans copy and store it; ("", reason) when rendering fails."""
    out = wav.with_name("redacted.wav")
    try:
        from ..speech import redact_audio

        redact_audio.render_redacted(wav, out, plan.mute_times)
        if not out.is_file() or out.stat().st_size == 0:
            raise RuntimeError("no output")
    except Exception as exc:
        log.exception("rendering the redacted audio of recording %s failed", rec.pk)
        return "", f"redacted audio could not be rendered: {type(exc).__name__}: {exc}"
    with out.open("rb") as fh:
        name = default_storage.save(f"recordings/redacted/{rec.sha256[:2]}/{rec.sha256}-{attempt}.wav", File(fh))
    return name, ""


def _store(
    recording_id: int, attempt: int, transcript: Transcript, plan: DeidPlan, redacted_name: str, note: str
) -> str:
    with transaction.atomic(durable=True):
        rec = CallRecording.objects.select_for_update().get(pk=recording_id)
        if rec.status != S.PROCESSING or rec.attempts != attempt:
            # The lease expired and another attempt took over: it will store its own result.
            if redacted_name:
                transaction.on_commit(lambda: default_storage.delete(redacted_name))
            return "skipped"
        old_redacted = rec.redacted_file.name if rec.redacted_file else ""
        rec.segments.all().delete()
        TranscriptSegment.objects.bulk_create(
            [
                TranscriptSegment(
                    recording=rec,
                    index=i,
                    start=seg.start,
                    end=seg.end,
                    text_original=p.text,
                    text_redacted=p.redacted,
                    confidence=conf,
                    words=[
                        {"start": round(w.start, 3), "end": round(w.end, 3), "text": w.text, "prob": w.prob}
                        for w in seg.words
                    ],
                    has_sensitive=bool(p.spans),
                    speaker=transcript.speaker_of(i),
                )
                for i, (seg, p, conf) in enumerate(
                    zip(transcript.segments, plan.segments, transcript.confidences, strict=True)
                )
            ]
        )
        now = timezone.now()
        rec.status = S.DONE if has_speech(transcript, plan) else S.NO_SPEECH
        rec.finished_at = now
        rec.lease_until = None
        rec.failure_reason = ""
        rec.engine = transcript.engine[:40]
        rec.model_name = transcript.model[:120]
        rec.detected_language = transcript.language[:10]
        rec.channel_layout = (
            CallRecording.ChannelLayout.STEREO if transcript.stereo else CallRecording.ChannelLayout.MONO
        )
        if transcript.duration_s and not rec.duration_s:
            rec.duration_s = transcript.duration_s
        rec.sensitive_count = plan.findings
        _set_redaction(rec, transcript, plan, redacted_name, note)
        if rec.complaint_id is None and rec.suspect in ("", CallRecording.Suspect.OPEN):
            pairs = zip(transcript.segments, plan.segments, strict=True)
            score, hits = complaint_cues.scan([(seg.start, p.redacted) for seg, p in pairs])
            rec.suspect = CallRecording.Suspect.OPEN if complaint_cues.is_suspected(score) else ""
            rec.suspect_hits = complaint_cues.hits_as_json(hits) if rec.suspect else []
        rec.save()
        if rec.status == S.DONE:
            send_transcribed(rec.pk)
        if rec.redaction == CallRecording.Redaction.REVIEW:
            redaction_review_notify()
        if old_redacted and old_redacted != redacted_name:
            transaction.on_commit(lambda: default_storage.delete(old_redacted))
        return rec.status


def _set_redaction(rec: CallRecording, transcript: Transcript, plan: DeidPlan, redacted_name: str, note: str) -> None:
    """The honest redaction status: ``ok`` only when every layer ran and nothing asks for a
    listen; ``review`` holds the copy back from listeners until a reviewer releases it."""
    R = CallRecording.Redaction
    rec.mute_spans = [[a, b, reason] for a, b, reason in plan.mute]
    rec.muted_seconds = {k: v for k, v in plan.muted_s.items() if v} | {"total": plan.muted_total_s}
    rec.redaction_reviewed_by, rec.redaction_reviewed_at = None, None
    if not has_speech(transcript, plan):
        rec.redaction, rec.redaction_note, rec.redacted_file = R.NONE, "", ""
    elif not redacted_name:
        rec.redaction, rec.redaction_note, rec.redacted_file = R.FAILED, note[:2000], ""
    elif plan.review:
        rec.redaction, rec.redaction_note, rec.redacted_file = R.REVIEW, "; ".join(plan.review)[:2000], redacted_name
    else:
        rec.redaction, rec.redaction_note, rec.redacted_file = R.OK, "", redacted_name


def _fail(recording_id: int, attempt: int, reason: str, *, permanent: bool) -> str:
    with transaction.atomic(durable=True):
        rec = CallRecording.objects.select_for_update().get(pk=recording_id)
        if rec.status != S.PROCESSING or rec.attempts != attempt:
            return "skipped"
        now = timezone.now()
        if permanent or _failed_attempts(rec) >= settings.RECORDING_MAX_ATTEMPTS:
            _mark_failed(rec, reason, now)
            return rec.status
        rec.status = S.QUEUED
        rec.failure_reason = reason[:2000]
        rec.queued_at = now
        rec.lease_until = None
        rec.save(update_fields=["status", "failure_reason", "queued_at", "lease_until", "updated_at"])
        recording_enqueue_on_commit(rec.pk, countdown=30 * rec.attempts)
        return rec.status


# --- the sweeper ---------------------------------------------------------------------


def recordings_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Re-queue jobs whose worker vanished (processing past the lease) and re-send
    queued jobs the broker may have lost. Safe to run any time: the job is idempotent."""
    now = now or timezone.now()
    requeued = failed = resent = 0
    stale_ids = list(
        CallRecording.objects.filter(status=S.PROCESSING, lease_until__lt=now).values_list("pk", flat=True)[:500]
    )
    for pk in stale_ids:
        with transaction.atomic(durable=True):
            rec = CallRecording.objects.select_for_update().get(pk=pk)
            if rec.status != S.PROCESSING or not rec.lease_until or rec.lease_until >= now:
                continue
            rec.losses += 1  # the worker vanished: not an attempt that failed
            if rec.losses >= settings.RECORDING_MAX_LOSSES:
                _mark_failed(rec, _LOST_TOO_OFTEN, now)
                failed += 1
                continue
            rec.status = S.QUEUED
            rec.queued_at = now
            rec.lease_until = None
            rec.failure_reason = "转写进程中断，已重新排队 / the worker stopped; queued again"
            rec.save(update_fields=["status", "losses", "queued_at", "lease_until", "failure_reason", "updated_at"])
            recording_enqueue_on_commit(rec.pk)
            requeued += 1
    # Re-send a queued job whose send failed (enqueued_at cleared: at once, so it runs within a
    # sweep of the broker's return) or whose message the broker may have lost (sent long ago).
    cutoff = now - dt.timedelta(seconds=settings.RECORDING_QUEUED_STALE_S)
    lost = CallRecording.objects.filter(status=S.QUEUED).filter(Q(enqueued_at__lt=cutoff) | Q(enqueued_at__isnull=True))
    for pk in lost.values_list("pk", flat=True)[:500]:
        with transaction.atomic(durable=True):
            recording_enqueue_on_commit(pk)
        resent += 1
    return {"requeued": requeued, "failed": failed, "resent": resent}


@transaction.atomic(durable=True)
def recording_retry(*, actor, recording: CallRecording) -> CallRecording:
    """Queue a failed recording again with a fresh attempt budget (operators only)."""
    from accounts.models import AuditAction
    from accounts.services import audit_record

    rec = CallRecording.objects.select_for_update().get(pk=recording.pk)
    if rec.status != S.FAILED:
        return rec
    rec.status, rec.attempts, rec.losses, rec.queued_at, rec.failure_reason = S.QUEUED, 0, 0, timezone.now(), ""
    rec.save(update_fields=["status", "attempts", "losses", "queued_at", "failure_reason", "updated_at"])
    audit_record(actor=actor, action=AuditAction.RECORDING_RETRY, obj=rec)
    recording_enqueue_on_commit(rec.pk)
    return rec
