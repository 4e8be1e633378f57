"""Output serializers of the workflow API (the request bodies are the forms': ``bodies``)."""

from __future__ import annotations

from rest_framework import serializers

from voc.api_errors import ErrorSerializer  # noqa: F401 (the API's error shape, named here too)


class CaseStateSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField(help_text="The case's state (complaints.states.CaseState)")
    status_label = serializers.CharField()
    version = serializers.CharField(help_text="The case's version: send it back as If-Match (quoted) to act on it")
    allowed_actions = serializers.ListField(
        child=serializers.CharField(), help_text="The actions the caller may take now, as the case page offers them"
    )


class ActionResultSerializer(CaseStateSerializer):
    action = serializers.CharField(help_text="The action done")


class PendingExtensionSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="request_id of the decide_extension action")
    level = serializers.IntegerField()
    requested_at = serializers.DateTimeField()


class DecisionSerializer(serializers.Serializer):
    """The latest decision (draft) the clock panel of the case page shows."""

    version = serializers.IntegerField()
    text = serializers.CharField()
    proposed_result = serializers.CharField()
    redress_type = serializers.CharField(allow_blank=True)
    redress_amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    root_cause = serializers.CharField(allow_blank=True)
    review = serializers.CharField(allow_blank=True, help_text='"" (awaiting review) | approved | returned')
    review_comment = serializers.CharField(allow_blank=True)
    informed_on = serializers.DateField(allow_null=True)
    informed_via = serializers.CharField(allow_blank=True)


class ClockSerializer(CaseStateSerializer):
    """The regulatory clock of the case page (workflow.selectors.CaseClock)."""

    state = serializers.CharField(
        help_text="overdue | paused | due_today | due_soon | on_track | verification | decided | ended"
    )
    due_date = serializers.DateField(allow_null=True)
    days_left = serializers.IntegerField(allow_null=True)
    period_days = serializers.IntegerField()
    extension_level = serializers.IntegerField()
    paused = serializers.BooleanField()
    paused_since = serializers.DateTimeField(allow_null=True)
    paused_days = serializers.IntegerField()
    decided_on_time = serializers.BooleanField(allow_null=True)
    decision_due_date = serializers.DateField(allow_null=True)
    decision_late = serializers.BooleanField()
    first_response_due = serializers.DateTimeField()
    first_response_at = serializers.DateTimeField(allow_null=True)
    first_response_hours = serializers.FloatField(allow_null=True)
    first_response_late = serializers.BooleanField()
    regulator_reference = serializers.CharField(allow_blank=True)
    regulator_received_on = serializers.DateField(allow_null=True)
    regulator_forward_due = serializers.DateField(allow_null=True)
    regulator_forwarded_in_time = serializers.BooleanField(allow_null=True)
    calendar_estimated = serializers.BooleanField(help_text="The due date's year has no holiday data yet")
    pending_extension = PendingExtensionSerializer(allow_null=True)
    decision = DecisionSerializer(allow_null=True)


class TimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    title = serializers.CharField()
    kind = serializers.CharField()
    detail = serializers.CharField(allow_blank=True)
    actor = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True)
    source = serializers.CharField(help_text="The app that recorded it")
    elapsed_minutes = serializers.IntegerField(allow_null=True, help_text="Minutes since the complaint was received")


class TimelineSerializer(serializers.Serializer):
    reference = serializers.CharField()
    version = serializers.CharField()
    entries = TimelineEntrySerializer(many=True)
