"""Uploading a call recording and linking it to a case."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import AuditAction, User
from accounts.selectors import org_visible_to
from accounts.services import audit_record
from complaints.pii import mask_text

from .. import selectors
from ..models import CallRecording
from .transcription import recording_enqueue_on_commit

log = logging.getLogger(__name__)
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class UploadResult:
    recording: CallRecording
    created: bool
    # The same bytes were uploaded before, unlinked, and are now linked to the case asked for.
    linked_now: bool = False


def _spool(upload) -> tuple[Path, str, bool]:
    """A path on disk holding the upload, its SHA-256, and whether we made a temp copy."""
    digest = hashlib.sha256()
    path = getattr(upload, "temporary_file_path", None)
    if path:
        upload.seek(0)
        for chunk in upload.chunks(_CHUNK):
            digest.update(chunk)
        return Path(path()), digest.hexdigest(), False
    fd, name = tempfile.mkstemp(prefix="voc-upload-", suffix=".bin")
    with os.fdopen(fd, "wb") as out:
        upload.seek(0)
        for chunk in upload.chunks(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return Path(name), digest.hexdigest(), True


def _display_name(name: str | None, max_length: int = 255) -> str:
    """The uploaded file's name as people see it: no directories, and customer numbers
    masked (call-centre files are named after the caller: 13812345678_20261125.wav), since
    flag audiences outside the case's scope see it. The extension is kept; nothing else
    (dedupe, storage path) depends on this name."""
    stem, ext = os.path.splitext(os.path.basename(name or ""))
    stem, ext = mask_text(stem), mask_text(ext)[:20]
    return stem[: max_length - len(ext)] + ext


def _validate_audio(path: Path):
    """Magic bytes + ffprobe (with a timeout) through the speech layer; on rejection, its message in
    the user's language (the Django-free speech layer carries both)."""
    from ..speech import audio

    try:
        return audio.validate_upload(
            path, max_bytes=settings.RECORDING_MAX_BYTES, max_duration_s=settings.RECORDING_MAX_DURATION_S
        )
    except audio.AudioRejected as exc:
        english = (translation.get_language() or "").startswith("en")
        raise ValidationError(exc.message_en if english else exc.message_zh, code="audio_rejected") from exc


def _existing(sha: str, *, user: User, complaint) -> UploadResult:
    rec = CallRecording.objects.select_related("complaint__responsible_org", "owner_org").get(sha256=sha)
    if not selectors.recordings_visible_to(user).filter(pk=rec.pk).exists():
        raise ValidationError(
            _("该录音文件已由其他机构上传，请联系总行投诉专员。"),
            code="duplicate_elsewhere",
        )
    if complaint is not None and rec.complaint_id is None:
        _link(actor=user, recording=rec, complaint=complaint)
        rec.refresh_from_db()
        return UploadResult(rec, created=False, linked_now=True)
    return UploadResult(rec, created=False)


@transaction.atomic(durable=True)
def recording_upload(
    *,
    uploaded_by: User,
    upload,
    complaint=None,
    language: str = CallRecording.Language.AUTO,
    call_started_at=None,
    direction: str = CallRecording.Direction.INBOUND,
    channel: str = CallRecording.Channel.HOTLINE,
    agent: User | None = None,
) -> UploadResult:
    """Store a validated recording and queue its transcription.

    Rules: the uploader may upload and may see the case; the file is under the size cap,
    is a supported audio format and not longer than the duration cap — otherwise a
    ValidationError with the reason and nothing is saved. The same bytes uploaded again
    return the existing recording (linked to the case if it was unlinked).
    """
    if not selectors.can_upload(uploaded_by):
        raise ValidationError(_("您没有上传录音的权限"), code="forbidden")
    if complaint is not None and not org_visible_to(uploaded_by, complaint.responsible_org):
        raise ValidationError(_("投诉不存在"), code="not_found")
    if language not in CallRecording.Language.values:
        raise ValidationError(_("不支持的语言"), code="language")
    size = upload.size or 0
    max_bytes = settings.RECORDING_MAX_BYTES
    if size > max_bytes:
        raise ValidationError(
            _("文件过大（%(size)d MB），上限 %(max)d MB")
            % {"size": size // (1024 * 1024), "max": max_bytes // (1024 * 1024)},
            code="too_large",
        )
    if size == 0:
        raise ValidationError(_("文件为空"), code="empty")

    path, sha, is_temp = _spool(upload)
    try:
        if CallRecording.objects.filter(sha256=sha).exists():
            return _existing(sha, user=uploaded_by, complaint=complaint)
        info = _validate_audio(path)
        fmt = str(info.sniffed or info.codec or "")
        duration = info.duration_s
        ext = fmt.lower() if fmt.isalnum() and len(fmt) <= 5 else "bin"
        stored_name = default_storage.save(f"recordings/original/{sha[:2]}/{sha}.{ext}", File(path.open("rb")))
        try:
            with transaction.atomic():
                rec = CallRecording.objects.create(
                    complaint=complaint,
                    owner_org=uploaded_by.org,
                    uploaded_by=uploaded_by,
                    file=stored_name,
                    original_name=_display_name(upload.name),
                    size_bytes=size,
                    sha256=sha,
                    audio_format=fmt[:20],
                    duration_s=float(duration) if duration is not None else None,
                    call_started_at=call_started_at,
                    direction=direction,
                    channel=channel,
                    agent=agent,
                    language=language,
                    status=CallRecording.Status.QUEUED,
                    queued_at=timezone.now(),
                )
                audit_record(
                    actor=uploaded_by,
                    action=AuditAction.RECORDING_UPLOAD,
                    obj=rec,
                    complaint_id=complaint.pk if complaint else None,
                )
        except IntegrityError:
            # The same file uploaded concurrently: keep the first, drop our copy.
            default_storage.delete(stored_name)
            return _existing(sha, user=uploaded_by, complaint=complaint)
        except BaseException:
            default_storage.delete(stored_name)  # nothing saved half
            raise
        recording_enqueue_on_commit(rec.pk)
        return UploadResult(rec, created=True)
    finally:
        if is_temp:
            path.unlink(missing_ok=True)


@transaction.atomic(durable=True)
def recording_link(*, actor: User, recording: CallRecording, complaint) -> CallRecording:
    """Attach a recording to a case both of which the actor may see (a top-level action)."""
    return _link(actor=actor, recording=recording, complaint=complaint)


def _link(*, actor: User, recording: CallRecording, complaint) -> CallRecording:
    """``recording_link`` inside the caller's transaction (an upload of a file already stored)."""
    if not selectors.can_upload(actor):
        raise ValidationError(_("您没有关联录音的权限"), code="forbidden")
    if not org_visible_to(actor, complaint.responsible_org):
        raise ValidationError(_("投诉不存在"), code="not_found")
    rec = CallRecording.objects.select_for_update().get(pk=recording.pk)
    if rec.complaint_id and rec.complaint_id != complaint.pk:
        raise ValidationError(_("该录音已关联其他投诉"), code="linked")
    rec.complaint = complaint
    if rec.suspect == CallRecording.Suspect.OPEN:
        rec.suspect = CallRecording.Suspect.LINKED
    rec.save(update_fields=["complaint", "suspect", "updated_at"])
    audit_record(actor=actor, action=AuditAction.RECORDING_LINK, obj=rec, complaint_id=complaint.pk)
    return rec


@transaction.atomic(durable=True)
def recording_receive(
    *,
    data: bytes,
    name: str,
    owner_org,
    channel: str = CallRecording.Channel.OTHER,
    language: str = CallRecording.Language.AUTO,
    call_started_at=None,
) -> UploadResult:
    """Store audio a customer sent through a channel (a WeChat voice message: nobody uploads it)
    and queue its transcription as an upload's is. Same checks as ``recording_upload`` (size,
    format, duration: a ValidationError and nothing saved); the same bytes again return the
    stored recording. Audited with no actor."""
    if not data:
        raise ValidationError(_("文件为空"), code="empty")
    if len(data) > settings.RECORDING_MAX_BYTES:
        raise ValidationError(_("文件过大"), code="too_large")
    sha = hashlib.sha256(data).hexdigest()
    existing = CallRecording.objects.filter(sha256=sha).first()
    if existing is not None:
        return UploadResult(existing, created=False)
    fd, tmp = tempfile.mkstemp(prefix="voc-channel-", suffix=".bin")
    path = Path(tmp)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        info = _validate_audio(path)
        fmt = str(info.sniffed or info.codec or "")
        ext = fmt.lower() if fmt.isalnum() and len(fmt) <= 5 else "bin"
        stored_name = default_storage.save(f"recordings/original/{sha[:2]}/{sha}.{ext}", File(path.open("rb")))
        try:
            with transaction.atomic():
                rec = CallRecording.objects.create(
                    owner_org=owner_org,
                    file=stored_name,
                    original_name=_display_name(name),
                    size_bytes=len(data),
                    sha256=sha,
                    audio_format=fmt[:20],
                    duration_s=float(info.duration_s) if info.duration_s is not None else None,
                    call_started_at=call_started_at,
                    channel=channel,
                    language=language,
                    status=CallRecording.Status.QUEUED,
                    queued_at=timezone.now(),
                )
                audit_record(actor=None, action=AuditAction.RECORDING_UPLOAD, obj=rec, channel=channel)
        except IntegrityError:
            default_storage.delete(stored_name)
            return UploadResult(CallRecording.objects.get(sha256=sha), created=False)
        except BaseException:
            default_storage.delete(stored_name)
            raise
        recording_enqueue_on_commit(rec.pk)
        return UploadResult(rec, created=True)
    finally:
        path.unlink(missing_ok=True)
