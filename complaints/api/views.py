"""REST API v1 for complaints: create (idempotent), list (cursor), search (POST), detail, taxonomy."""

from __future__ import annotations

import hashlib
import json
import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organisation
from voc.api_parsers import SafeJSONParser

from .. import list_selectors, selectors
from ..pii import find_sensitive
from ..services import CustomerInput, IntakeKeyReused, complaint_register
from ..services.intake import may_register
from ..taxonomy_selectors import code_search
from . import serializers as s

_CUSTOMER_FIELDS = {
    "customer_name": "customer.name",
    "customer_title": "customer.title",
    "mobile": "customer.mobile",
    "id_number": "customer.id_number",
    "home_org": "customer.home_org",
    "card_number": "customer.card_number",
    "card_kind": "customer.card_kind",
    "card_issuing_org": "customer.card_issuing_org",
}
IDEMPOTENCY_KEY = re.compile(r"[ -~]*")
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "maxLength": 100, "pattern": r"^[ -~]*$"},
    OpenApiParameter.HEADER,
    description="Up to 100 printable ASCII characters. "
    "Retrying with the same key returns the case created first (200); "
    "the same key with a different body is refused (422 idempotency_key_reused).",
)


def _complaints_out(request: Request, cases, *, many: bool = False):
    """Serialise cases for this caller (earlier cases they repeat are named only if visible)."""
    visible = selectors.visible_repeat_refs(request.user, cases if many else [cases])
    return s.ComplaintOutSerializer(cases, many=many, context={"repeat_of_visible": visible}).data


class IdempotencyKeyReused(exceptions.APIException):
    status_code = 422
    default_code = "idempotency_key_reused"


def _fingerprint(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


def _refuse_number_in_url(q: str) -> None:
    """A full phone or ID number (or any number the text mask would hide) must not travel in a URL:
    browser history, proxies and access logs keep it. The search takes it in a body instead."""
    if q and (selectors.full_number(q) or find_sensitive(q)):
        raise exceptions.ValidationError(
            {"q": [_("手机号、证件号或卡号不能放在网址中：请用 POST /api/v1/complaints/search/ 查询")]}
        )


class ComplaintListCreate(APIView):
    # JSON only: a complaint has a nested customer, which a form encoding cannot carry.
    parser_classes = [SafeJSONParser]
    # GET reads the filters from the query string; ComplaintSearch (POST) from a JSON body.
    filters_in_url = True
    filter_serializer = s.ComplaintFilterSerializer

    @extend_schema(
        operation_id="complaints_list",
        parameters=[s.ComplaintFilterSerializer],
        responses={200: s.ComplaintListOutSerializer, 400: s.ErrorSerializer},
        description="Complaints visible to the caller, newest first; pass next_cursor back as cursor. "
        "A full phone, ID or card number in q is refused (400 on q): search for one with "
        "POST /api/v1/complaints/search/, so that it never sits in a URL.",
    )
    def get(self, request: Request) -> Response:
        query = request.query_params if self.filters_in_url else request.data
        if self.filters_in_url:
            _refuse_number_in_url(query.get("q", ""))
        params = self.filter_serializer(data=query)
        params.is_valid(raise_exception=True)
        d = params.validated_data
        org = None
        if d["org"]:
            org = Organisation.objects.filter(code=d["org"].upper()).first()
        filters = list_selectors.ComplaintFilters(
            status=d["status"],
            code_a=d["code_a"],
            code_b=d["code_b"],
            code_c=d["code_c"],
            org=org,
            channel=d["channel"],
            flags=sorted(d["flags"]),
            received_from=d["received_from"],
            received_to=d["received_to"],
            q=d["q"],
            nothing=bool(d["org"]) and org is None,
        )
        try:
            page = list_selectors.complaint_page_for(
                request.user, filters, cursor=d["cursor"] or None, limit=d["limit"]
            )
        except ValueError as exc:
            raise exceptions.ValidationError({"cursor": [str(exc)]}) from None
        results = _complaints_out(request, page.items, many=True)
        body = {"results": results, "next_cursor": page.next_cursor}
        return Response(body)

    @extend_schema(
        operation_id="complaints_create",
        request=s.ComplaintCreateSerializer,
        examples=[
            OpenApiExample(
                "Annual fee dispute by phone",
                request_only=True,
                value={
                    "channel": "hotline",
                    "code_a": "A0302",
                    "code_b": "B030202",
                    "code_c": "C03",
                    "summary": "信用卡年费争议",
                    "demand": "refund",
                    "customer": {"name": "张伟", "title": "mr", "mobile": "138-0013-8000"},
                },
            )
        ],
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            201: s.ComplaintOutSerializer,
            200: s.ComplaintOutSerializer,
            400: s.ErrorSerializer,
            403: s.ErrorSerializer,
            422: s.ErrorSerializer,
        },
        description="Register a complaint (validated, text masked, repeat-checked, routed). Codes must be "
        "active leaf codes of the taxonomy and org codes existing orgs; a case received more than a day ago "
        "needs late_reason, a regulator referral its reference: each refusal is a 400 naming the field. "
        "403 for a role that may not register complaints.",
    )
    def post(self, request: Request) -> Response:
        if not may_register(request.user):
            raise exceptions.PermissionDenied
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > 100 or not IDEMPOTENCY_KEY.fullmatch(key):
            raise exceptions.ValidationError({"Idempotency-Key": [_("最多 100 个可打印 ASCII 字符")]})
        data = s.ComplaintCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = dict(data.validated_data)
        c = d.pop("customer")
        repeat_ref = d.pop("repeat_of")
        repeat_of = None
        if repeat_ref:
            repeat_of = selectors.complaints_for(request.user).filter(reference=repeat_ref).first()
            if repeat_of is None:
                raise exceptions.ValidationError({"repeat_of": [_("找不到该投诉")]})
        try:
            case = complaint_register(
                actor=request.user,
                intake_key=f"api:{request.user.pk}:{key}" if key else "",
                fingerprint=_fingerprint(request.data),
                customer=CustomerInput(**c),
                repeat_of=repeat_of,
                **d,
            )
        except IntakeKeyReused as exc:
            raise IdempotencyKeyReused(str(exc)) from None
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(
                {_CUSTOMER_FIELDS.get(k, k): v for k, v in exc.message_dict.items()}
            ) from None
        out = Response(
            _complaints_out(request, case),
            status=status.HTTP_200_OK if case.intake_replayed else status.HTTP_201_CREATED,
        )
        if case.intake_replayed:
            out["Idempotent-Replayed"] = "true"
        return out


class ComplaintSearch(ComplaintListCreate):
    """The list's search and filters in a JSON body, so a full phone or ID number finds its
    customer (by keyed hash) without sitting in a URL. Same answer as the GET."""

    http_method_names = ["post", "options"]
    filters_in_url = False
    filter_serializer = s.ComplaintSearchSerializer

    @extend_schema(
        operation_id="complaints_search",
        request=s.ComplaintSearchSerializer,
        responses={200: s.ComplaintListOutSerializer, 400: s.ErrorSerializer},
        description="The complaint list (GET /api/v1/complaints/) with its filters in a JSON body: use it "
        "to find a customer's cases by a full phone or ID number. Pass next_cursor back as cursor.",
    )
    def post(self, request: Request) -> Response:
        return self.get(request)


class ComplaintDetail(APIView):
    @extend_schema(
        operation_id="complaints_retrieve", responses={200: s.ComplaintOutSerializer, 404: s.ErrorSerializer}
    )
    def get(self, request: Request, reference: str) -> Response:
        return Response(_complaints_out(request, selectors.complaint_get_for(request.user, reference)))


class TaxonomyList(APIView):
    @extend_schema(
        operation_id="taxonomy_search",
        parameters=[s.TaxonomyQuerySerializer],
        responses={200: s.TaxonomyRowSerializer(many=True), 400: s.ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        params = s.TaxonomyQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        d = params.validated_data
        rows = code_search(d["q"], axis=d["axis"] or None, selectable_only=d["selectable"], limit=200)
        return Response(s.TaxonomyRowSerializer(rows, many=True).data)
