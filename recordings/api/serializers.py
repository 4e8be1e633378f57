"""Input and output serializers for the recordings API (separate on purpose)."""

from __future__ import annotations

from rest_framework import serializers

from voc.api_errors import ErrorSerializer  # noqa: F401 (the API's error shape, named here too)
from voc.api_fields import PlausibleDateTimeField

from ..models import CallRecording, ListeningEvent, TranscriptSegment


class UploadInSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    complaint = serializers.CharField(
        required=False, allow_blank=True, help_text="Case reference, e.g. VOC-2026-0000001"
    )
    language = serializers.ChoiceField(
        choices=CallRecording.Language.choices, default="auto", help_text="zh, en, or auto (detected per call)"
    )
    call_started_at = PlausibleDateTimeField(required=False, allow_null=True)
    direction = serializers.ChoiceField(choices=CallRecording.Direction.choices, default="inbound")
    channel = serializers.ChoiceField(choices=CallRecording.Channel.choices, default="hotline")


class ListQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(
        required=False, min_value=1, default=1, help_text="50 per page; a page past the last gives the last"
    )
    status = serializers.ChoiceField(choices=CallRecording.Status.choices, required=False, allow_blank=True, default="")


class DetailQuerySerializer(serializers.Serializer):
    transcript = serializers.ChoiceField(
        choices=ListeningEvent.Version.choices,
        required=False,
        default=ListeningEvent.Version.REDACTED,
        help_text="original: the words as spoken, for roles that may hear originals (logged); others get redacted",
    )


class SegmentOutSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    start = serializers.FloatField()
    end = serializers.FloatField()
    text = serializers.CharField()
    confidence = serializers.FloatField(allow_null=True)
    speaker = serializers.ChoiceField(
        choices=TranscriptSegment.Speaker.choices,
        help_text="agent or customer (from the channel of a stereo call); unknown on a mono call",
    )


class RecordingOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    complaint = serializers.CharField(allow_null=True, help_text="Case reference")
    original_name = serializers.CharField()
    sha256 = serializers.CharField()
    size_bytes = serializers.IntegerField()
    audio_format = serializers.CharField()
    duration_s = serializers.FloatField(allow_null=True)
    language = serializers.CharField(help_text="as requested at upload (zh, en or auto)")
    detected_language = serializers.CharField(help_text="the language the recogniser used")
    direction = serializers.CharField()
    channel = serializers.CharField()
    call_started_at = serializers.DateTimeField(allow_null=True)
    status = serializers.CharField()
    failure_reason = serializers.CharField()
    attempts = serializers.IntegerField()
    queue_position = serializers.IntegerField(allow_null=True)
    engine = serializers.CharField()
    model = serializers.CharField(source="model_name")
    redaction = serializers.CharField()
    redaction_note = serializers.CharField()
    muted_seconds = serializers.DictField(
        child=serializers.FloatField(), help_text="seconds muted in the listening copy, per reason and in total"
    )
    playable_versions = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class RecordingPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Recordings in all pages")
    page = serializers.IntegerField(help_text="This page's number")
    results = RecordingOutSerializer(many=True)


class RecordingDetailOutSerializer(RecordingOutSerializer):
    transcript_version = serializers.ChoiceField(choices=ListeningEvent.Version.choices)
    segments = SegmentOutSerializer(many=True)


class CodeSuggestionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    words = serializers.ListField(child=serializers.CharField())
    score = serializers.IntegerField()


class CodeSuggestionsOutSerializer(serializers.Serializer):
    A = CodeSuggestionSerializer(many=True)
    B = CodeSuggestionSerializer(many=True)
    C = CodeSuggestionSerializer(many=True)
