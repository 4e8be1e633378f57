"""Serve a private audio file with HTTP byte ranges (browsers seek with them)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from django.http import FileResponse, HttpResponse, StreamingHttpResponse

from .speech.audio import DecodeFailed

logger = logging.getLogger(__name__)

_RANGE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$")  # longer: not a byte offset of any file
CONTENT_TYPES = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "mp4": "audio/mp4",
    "aac": "audio/aac",
    "amr": "audio/amr",
    "ogg": "audio/ogg",
    "opus": "audio/ogg",
}


def requested_start(range_header: str | None) -> int | None:
    """First byte asked for (None when the header is missing or malformed)."""
    m = _RANGE.match((range_header or "").strip())
    if not m or not m.group(1):
        return None
    return int(m.group(1))


def _iter_file(path: Path, start: int, length: int, chunk: int = 64 * 1024):
    with path.open("rb") as fh:
        fh.seek(start)
        remaining = length
        while remaining > 0:
            data = fh.read(min(chunk, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data


def ranged_response(request, path: Path, content_type: str) -> HttpResponse:
    size = path.stat().st_size
    header = request.headers.get("Range", "")
    m = _RANGE.match(header.strip()) if header else None
    if m and (m.group(1) or m.group(2)):
        if m.group(1):
            start = int(m.group(1))
            end = int(m.group(2)) if m.group(2) else size - 1
        else:  # suffix range: the last N bytes
            start, end = max(size - int(m.group(2)), 0), size - 1
        end = min(end, size - 1)
        if start > end or start >= size:
            resp = HttpResponse(status=416)
            resp["Content-Range"] = f"bytes */{size}"
            return _private(resp)
        resp = StreamingHttpResponse(_iter_file(path, start, end - start + 1), status=206, content_type=content_type)
        resp["Content-Range"] = f"bytes {start}-{end}/{size}"
        resp["Content-Length"] = str(end - start + 1)
    else:
        resp = FileResponse(path.open("rb"), content_type=content_type)
        resp["Content-Length"] = str(size)
    resp["Accept-Ranges"] = "bytes"
    return _private(resp)


def _private(resp: HttpResponse) -> HttpResponse:
    resp["Cache-Control"] = "private, no-store"
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Content-Disposition"] = "inline"
    return resp


def play_response(request, *, recording_id: int, version: str, via: str, play_id: str) -> HttpResponse:
    """Stream one version of a recording if this user may hear it (else 404).

    The page and the API both come here, so the access rule and the play log
    cannot drift apart: a play starts at byte 0 and is one ``ListeningEvent``;
    later range requests are seeks within it.
    """
    from django.http import Http404

    from . import selectors, services
    from .models import ListeningEvent

    rec = selectors.recording_for(request.user, recording_id)
    if version not in selectors.playable_versions(request.user, rec):
        raise Http404
    field = rec.file if version == ListeningEvent.Version.ORIGINAL else rec.redacted_file
    if not Path(field.path).is_file():
        raise Http404
    if version == ListeningEvent.Version.ORIGINAL:
        try:
            path = services.original_playable_path(rec)
        except DecodeFailed:
            logger.exception("no listening copy for recording %s", rec.pk)
            raise Http404 from None
    else:
        path = Path(field.path)
    if requested_start(request.headers.get("Range")) in (None, 0):
        services.listening_event_record(user=request.user, recording=rec, version=version, via=via, play_id=play_id)
    ext = path.suffix.lstrip(".").lower()
    return ranged_response(request, path, CONTENT_TYPES.get(ext, "application/octet-stream"))
