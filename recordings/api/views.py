"""REST API v1 for recordings: upload (multipart), list, detail with transcript, audio, code hints.

Thin: serializers parse, services and selectors decide. The transcript is the redacted
text unless the caller may hear originals and asks for ``?transcript=original``
(audit-logged). Every audio fetch that starts a play is a ListeningEvent.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import AuditAction
from accounts.services import audit_record
from complaints.selectors import complaints_for

from .. import selectors, services
from ..models import CallRecording, ListeningEvent
from ..streaming import play_response
from . import serializers as s


def _out(user, rec: CallRecording, positions: dict[int, int] | None = None) -> dict:
    return {
        "id": rec.pk,
        "complaint": rec.complaint.reference if rec.complaint_id and not getattr(rec, "via_flag_only", False) else None,
        "original_name": rec.original_name,
        "sha256": rec.sha256,
        "size_bytes": rec.size_bytes,
        "audio_format": rec.audio_format,
        "duration_s": rec.duration_s,
        "language": rec.language,
        "detected_language": rec.detected_language,
        "direction": rec.direction,
        "channel": rec.channel,
        "call_started_at": rec.call_started_at,
        "status": rec.status,
        "failure_reason": rec.failure_reason,
        "attempts": rec.attempts,
        "queue_position": selectors.queue_position(rec) if positions is None else positions.get(rec.pk),
        "engine": rec.engine,
        "model_name": rec.model_name,
        "redaction": rec.redaction,
        "redaction_note": rec.redaction_note,
        "muted_seconds": rec.muted_seconds,
        "playable_versions": selectors.playable_versions(user, rec),
        "created_at": rec.created_at,
        "finished_at": rec.finished_at,
    }


class RecordingListCreate(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="recordings_list",
        parameters=[s.ListQuerySerializer],
        responses={200: s.RecordingPageSerializer, 400: s.ErrorSerializer},
        description="Recordings visible to the caller, newest first, 50 per page.",
    )
    def get(self, request: Request) -> Response:
        query = s.ListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        qs = selectors.recordings_visible_to(request.user)
        if query.validated_data["status"]:
            qs = qs.filter(status=query.validated_data["status"])
        page = Paginator(qs, 50).get_page(query.validated_data["page"])
        positions = selectors.queue_positions(page)
        data = [s.RecordingOutSerializer(_out(request.user, r, positions)).data for r in page]
        return Response({"count": page.paginator.count, "page": page.number, "results": data})

    @extend_schema(
        operation_id="recordings_upload",
        request={"multipart/form-data": s.UploadInSerializer},
        responses={
            201: s.RecordingOutSerializer,
            200: s.RecordingOutSerializer,
            400: s.ErrorSerializer,
            404: s.ErrorSerializer,
        },
        description="Upload a call recording (validated before it is queued). The same bytes again "
        "return the existing recording with 200. A file that is not audio in a supported format, too "
        "large or too long is a 400 naming the file; a case outside the caller's scope, or a role that "
        "may not upload, is 404.",
    )
    def post(self, request: Request) -> Response:
        if not selectors.can_upload(request.user):
            raise Http404
        inp = s.UploadInSerializer(data=request.data)
        inp.is_valid(raise_exception=True)
        d = inp.validated_data
        complaint = None
        if d.get("complaint"):
            complaint = complaints_for(request.user).filter(reference=d["complaint"].strip()).first()
            if complaint is None:
                raise Http404
        result = services.recording_upload(
            uploaded_by=request.user,
            upload=d["file"],
            complaint=complaint,
            language=d["language"],
            call_started_at=d.get("call_started_at"),
            direction=d["direction"],
            channel=d["channel"],
        )
        body = s.RecordingOutSerializer(_out(request.user, result.recording)).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class RecordingDetail(APIView):
    @extend_schema(
        operation_id="recordings_detail",
        parameters=[s.DetailQuerySerializer],
        responses={200: s.RecordingDetailOutSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        query = s.DetailQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rec = selectors.recording_for(request.user, pk)
        original = (
            query.validated_data["transcript"] == ListeningEvent.Version.ORIGINAL
            and selectors.can_hear_original(request.user)
            and not rec.via_flag_only
        )
        if original:
            audit_record(actor=request.user, action=AuditAction.RECORDING_TRANSCRIPT_UNMASKED, obj=rec, via="api")
        segs = [
            {
                "index": seg.index,
                "start": seg.start,
                "end": seg.end,
                "text": seg.text_original if original else seg.text_redacted,
                "confidence": seg.confidence,
                "speaker": seg.speaker,
            }
            for seg in selectors.segments_for(rec)
        ]
        data = _out(request.user, rec) | {
            "transcript_version": "original" if original else "redacted",
            "segments": segs,
        }
        return Response(s.RecordingDetailOutSerializer(data).data)


class RecordingAudio(APIView):
    @extend_schema(
        operation_id="recordings_audio",
        parameters=[
            OpenApiParameter(
                "version",
                str,
                OpenApiParameter.PATH,
                enum=ListeningEvent.Version.values,
                description="One of the recording's playable_versions; any other is 404",
            ),
            OpenApiParameter("play", str, description="Play id: range requests of one play share it"),
            OpenApiParameter(
                "Range", str, OpenApiParameter.HEADER, description="bytes=start-end: a seek within a play (206)"
            ),
        ],
        responses={
            (200, "audio/*"): OpenApiTypes.BINARY,
            (206, "audio/*"): OpenApiTypes.BINARY,
            416: OpenApiResponse(description="The range starts past the end of the file"),
        },
    )
    def get(self, request: Request, pk: int, version: str):
        return play_response(
            request,
            recording_id=pk,
            version=version,
            via=ListeningEvent.Via.API,
            play_id=request.query_params.get("play", ""),
        )


class RecordingCodeSuggestions(APIView):
    @extend_schema(operation_id="recordings_code_suggestions", responses={200: s.CodeSuggestionsOutSerializer})
    def get(self, request: Request, pk: int) -> Response:
        rec = selectors.recording_for(request.user, pk)
        return Response(selectors.code_suggestions(rec))
