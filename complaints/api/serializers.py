"""Input serializers parse types only (the service owns the rules); output serializers shape."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from accounts.models import Organisation
from voc.api_errors import ErrorBodySerializer, ErrorSerializer  # noqa: F401 (the API's error shape, named here too)
from voc.api_fields import JsonTypesMixin, PlausibleDateField, PlausibleDateTimeField

from ..models import Complaint, Customer, CustomerCard
from ..selectors import FLAG_FIELDS


class OrgCodeField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=Organisation.objects.all(), **kwargs)


class CustomerInputSerializer(JsonTypesMixin, serializers.Serializer):
    name = serializers.CharField(max_length=50)
    title = serializers.ChoiceField(choices=Customer.Title.choices, default=Customer.Title.UNKNOWN)
    mobile = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    id_number = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    home_org = OrgCodeField(required=False, allow_null=True, default=None)
    card_number = serializers.CharField(
        max_length=30, required=False, allow_blank=True, default="", help_text="Only first 6 + last 4 are stored."
    )
    card_kind = serializers.ChoiceField(choices=CustomerCard.Kind.choices, default=CustomerCard.Kind.CREDIT)
    card_issuing_org = OrgCodeField(required=False, allow_null=True, default=None)


class ComplaintCreateSerializer(JsonTypesMixin, serializers.Serializer):
    channel = serializers.ChoiceField(choices=Complaint.Channel.choices)
    code_a = serializers.CharField(max_length=12, help_text="Active leaf code of axis A, e.g. A0302")
    code_b = serializers.CharField(max_length=12, help_text="Active leaf code of axis B, e.g. B030202")
    code_c = serializers.CharField(max_length=12, help_text="Active leaf code of axis C, e.g. C03")
    summary = serializers.CharField(max_length=200)
    details = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    demand = serializers.ChoiceField(choices=Complaint.Demand.choices, default=Complaint.Demand.EXPLANATION)
    disputed_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True, default=None
    )
    received_at = PlausibleDateTimeField(required=False, allow_null=True, default=None)
    late_reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="",
        help_text="Required when received_at is more than a day ago: why the case is logged late",
    )  # fmt: skip
    regulator_reference = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    regulator_received_on = PlausibleDateField(required=False, allow_null=True, default=None)
    is_elderly = serializers.BooleanField(default=False)
    is_group_impact = serializers.BooleanField(default=False)
    has_media_risk = serializers.BooleanField(default=False)
    is_regulator_referred = serializers.BooleanField(default=False)
    responsible_org = OrgCodeField(required=False, allow_null=True, default=None)
    repeat_of = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    customer = CustomerInputSerializer()


class ComplaintFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    status = serializers.CharField(required=False, allow_blank=True, max_length=30, default="")
    code_a = serializers.RegexField(r"^(?:[Aa]\d{0,4})?$", required=False, allow_blank=True, default="")
    code_b = serializers.RegexField(r"^(?:[Bb]\d{0,6})?$", required=False, allow_blank=True, default="")
    code_c = serializers.RegexField(r"^(?:[Cc]\d{0,4})?$", required=False, allow_blank=True, default="")
    org = serializers.CharField(
        required=False, allow_blank=True, max_length=20, default="", help_text="Org code; its subtree"
    )
    channel = serializers.ChoiceField(choices=Complaint.Channel.choices, required=False, allow_blank=True, default="")
    flags = serializers.MultipleChoiceField(choices=FLAG_FIELDS, required=False, default=list)
    received_from = PlausibleDateField(required=False, allow_null=True, default=None)
    received_to = PlausibleDateField(required=False, allow_null=True, default=None)
    cursor = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="next_cursor of the previous page (opaque)"
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=25)


class ComplaintSearchSerializer(JsonTypesMixin, ComplaintFilterSerializer):
    """The list's filters as a JSON body (POST complaints/search/): each value of its JSON type."""


class CodeOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()


class OrgOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_zh = serializers.CharField()


class CustomerOutSerializer(serializers.Serializer):
    salutation = serializers.CharField(help_text="Surname + 先生/女士 only")
    mobile_masked = serializers.CharField()
    id_number_masked = serializers.CharField()


class ComplaintOutSerializer(serializers.Serializer):
    reference = serializers.CharField()
    url = serializers.SerializerMethodField()
    status = serializers.CharField()
    channel = serializers.CharField()
    regulator_reference = serializers.CharField()
    combined_code = serializers.CharField()
    code_a = CodeOutSerializer()
    code_b = CodeOutSerializer()
    code_c = CodeOutSerializer()
    is_elderly = serializers.BooleanField()
    is_repeat = serializers.BooleanField()
    is_regulator_referred = serializers.BooleanField()
    is_group_impact = serializers.BooleanField()
    has_media_risk = serializers.BooleanField()
    repeat_of = serializers.SerializerMethodField(help_text="Reference of the earlier case this repeats")
    summary = serializers.CharField()
    details = serializers.CharField()
    demand = serializers.CharField()
    disputed_amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    received_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    due_date = serializers.DateField(allow_null=True)
    responsible_org = OrgOutSerializer()
    customer = CustomerOutSerializer(allow_null=True)

    def get_repeat_of(self, obj) -> str | None:
        # context["repeat_of_visible"] = selectors.visible_repeat_refs(user, cases): only earlier
        # cases the caller may see are named.
        earlier = self.context["repeat_of_visible"].get(obj.repeat_of_id)
        return earlier.reference if earlier else None

    def get_url(self, obj) -> str:
        return reverse("complaints_api:complaint_detail", args=[obj.reference])


class ComplaintListOutSerializer(serializers.Serializer):
    results = ComplaintOutSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True)


class TaxonomyQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=100, default="", help_text="Code prefix or words, e.g. 年费"
    )
    axis = serializers.ChoiceField(choices=["A", "B", "C"], required=False, allow_blank=True, default="")
    selectable = serializers.BooleanField(required=False, default=False, help_text="Only active leaf codes")


class TaxonomyRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    axis = serializers.CharField()
    level = serializers.IntegerField()
    parent = serializers.CharField(allow_null=True)
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    is_leaf = serializers.BooleanField()
    is_active = serializers.BooleanField()
