"""REST API v1 of the workflow: the case page's actions, its timeline and its clock.

``POST /api/v1/complaints/{reference}/actions/{action}/`` runs one action of
``workflow.actions.SPECS`` (the case page's registry): the page's form reads the body, the
page's service acts, the one permission table (``workflow.permissions``, checked by the
service) decides; nothing here repeats a rule. Order of answers: a malformed header (400), the
case outside the caller's scope (404, as the page), an integration client's key not allowing the
action (403, ``permissions.client_may``), the key's earlier answer (replayed), the body (400 with
the form's messages per field), then the service: stale ``If-Match`` 412, another change at the
same moment 409, not allowed 403, refused input 400.

Concurrency (RFC 9110 §13.1.1): ``If-Match`` carries the version a GET (``ETag``) or an earlier
action answered; the service compares it with the case's, under the row lock, and a different
one is ``412 Precondition Failed`` with nothing done. Without ``If-Match`` the action applies to
the case as it is (the state machine still refuses what the state does not allow).
``Idempotency-Key``: see ``workflow.services.idempotency``.
"""

from __future__ import annotations

import re

from django.http import QueryDict
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import selectors as complaint_selectors
from complaints.api.views import IDEMPOTENCY_KEY, IdempotencyKeyReused
from complaints.states import state_label
from voc.api_parsers import SafeJSONParser

from .. import actions, selectors
from ..errors import ActionDenied, CaseNotFound, StaleCase, WorkflowError
from ..services import idempotency, version_of
from ..timeline import timeline_entries
from . import bodies, calls
from . import serializers as s
from .permissions import client_may

ENTITY_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)')


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def etag(version: str) -> str:
    return f'"{version}"'


def parse_if_match(request: Request) -> list[str] | None:
    """The strong entity-tags of ``If-Match`` (None: absent or ``*``); 400 when malformed.
    A weak tag (W/"…") never matches: If-Match compares strongly (RFC 9110 §13.1.1)."""
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    tags, pos = [], 0
    raw = raw.strip()
    while pos < len(raw):
        m = ENTITY_TAG.match(raw, pos)
        if m is None or m.end() == pos:
            raise exceptions.ValidationError(
                {"If-Match": [_('须为带引号的版本号，如 "12.accepted@1767225600.000000"')]}
            )
        tags.append(None if m.group(1) else m.group(2))
        pos = m.end()
    if not tags:
        raise exceptions.ValidationError({"If-Match": [_('须为带引号的版本号，如 "12.accepted@1767225600.000000"')]})
    return [t for t in tags if t is not None] or [""]


def idempotency_key(request: Request) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 100 or not IDEMPOTENCY_KEY.fullmatch(key):
        raise exceptions.ValidationError({"Idempotency-Key": [_("最多 100 个可打印 ASCII 字符")]})
    return key


def available_actions(user, complaint) -> list[str]:
    """The actions the case page offers ``user`` now (``case_panels.action_views``' rule)."""
    from .. import permissions

    parties = permissions.case_parties(complaint)  # the whole history, read once
    found = []
    for name in actions.SPECS:
        perm = actions.permission_action(name, complaint)
        if perm is not None and permissions.denial(user, complaint, perm, parties=parties) is None:
            found.append(name)
    return found


def case_state(user, complaint) -> dict:
    return {
        "reference": complaint.reference,
        "status": complaint.status,
        "status_label": str(state_label(complaint.status)),
        "version": version_of(complaint),
        "allowed_actions": available_actions(user, complaint),
    }


def _answer_refusal(exc: WorkflowError, *, conditional: bool) -> exceptions.APIException:
    """The service's refusal as the API's error (the message is the page's)."""
    if isinstance(exc, CaseNotFound):
        return exceptions.NotFound(exc.message)
    if isinstance(exc, StaleCase):
        # The version check of ``core.lock_case`` (audited as "stale") is the If-Match precondition.
        if conditional and (exc.audit or {}).get("rule") == "stale":
            return PreconditionFailed(exc.message)
        return Conflict(exc.message)
    if isinstance(exc, ActionDenied):
        return exceptions.PermissionDenied(exc.message, code=exc.code)
    return exceptions.ValidationError({"non_field_errors": [exc.message]})


def act(request: Request, reference: str, action: str) -> Response:
    key = idempotency_key(request)
    tags = parse_if_match(request)
    case = complaint_selectors.complaint_get_for(request.user, reference)  # 404 outside scope
    if not client_may(request, action):
        raise exceptions.PermissionDenied(
            _("此接入系统无权执行「%(action)s」") % {"action": actions.SPECS[action].label}
        )
    body = request.data
    if isinstance(body, QueryDict):  # no body at all (a JSON body is parsed to a dict, list, ...)
        body = {}
    claim = None
    if key:
        claim = idempotency.idempotency_claim(
            user=request.user,
            key=key,
            fingerprint=idempotency.fingerprint(method=request.method, path=request.path, body=body),
        )
        if claim.outcome == "replay":
            replay = Response(claim.row.body, status=claim.row.status, headers={"Idempotent-Replayed": "true"})
            if claim.row.etag:
                replay["ETag"] = claim.row.etag
            return replay
        if claim.outcome == "reused":
            raise IdempotencyKeyReused(_("该 Idempotency-Key 已用于另一个请求，请换一个新的键"))
        if claim.outcome == "in_progress":
            raise Conflict(_("使用该 Idempotency-Key 的请求正在处理，请稍后重试"))
    try:
        _run(request, case, action, body, tags)
    except BaseException:
        # Refused or failed inside the service's own transaction: nothing was done, the key is free.
        if claim is not None:
            idempotency.idempotency_release(row=claim.row)
        raise
    # Done and committed: from here on the key is never released (a failure below leaves it
    # claimed without an answer, 409 until it expires, rather than acting twice).
    case.refresh_from_db()
    data = {"action": action, **case_state(request.user, case)}
    answer = Response(data, status=status.HTTP_200_OK, headers={"ETag": etag(data["version"])})
    if claim is not None:
        idempotency.idempotency_complete(row=claim.row, status=answer.status_code, body=data, etag=answer["ETag"])
    return answer


def _run(request: Request, case, action: str, body, tags: list[str] | None) -> None:
    """Validate the body with the action's form and run the service (every refusal raises)."""
    form = bodies.bound_form(action, body, request.user)
    if not form.is_valid():
        raise exceptions.ValidationError(bodies.form_errors(form))
    version = None
    if tags is not None:
        current = version_of(case)
        version = current if current in tags else tags[0]
    try:
        calls.call(action, form.cleaned_data, case, request.user, version)
    except WorkflowError as exc:
        raise _answer_refusal(exc, conditional=tags is not None) from None


IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description='The case\'s version as an entity-tag ("…", from the ETag of GET …/clock/ or of an '
    "action's answer). A different current version: 412, nothing done. Absent or *: act on the case as it is.",
)
IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "maxLength": 100, "pattern": r"^[ -~]*$"},
    OpenApiParameter.HEADER,
    description="Up to 100 printable ASCII characters, kept per user for 24 hours. The same key with the "
    "same request replays the first completed answer (header Idempotent-Replayed: true) without acting "
    "again; with another request: 422 idempotency_key_reused; while the first is still running: 409. "
    "A refused request (4xx) keeps no answer: the key may be retried.",
)


def _action_view(name: str) -> type[APIView]:
    spec = actions.SPECS[name]

    @extend_schema(
        operation_id=f"complaints_action_{name}",
        summary=str(spec.label),
        request=bodies.request_serializer(name),
        parameters=[IF_MATCH, IDEMPOTENCY],
        responses={
            200: OpenApiResponse(s.ActionResultSerializer, description="Done; the ETag header is the new version"),
            400: s.ErrorSerializer,
            403: s.ErrorSerializer,
            404: s.ErrorSerializer,
            409: OpenApiResponse(s.ErrorSerializer, description="Changed at the same moment, or key in progress"),
            412: OpenApiResponse(s.ErrorSerializer, description="If-Match is not the case's current version"),
            422: OpenApiResponse(s.ErrorSerializer, description="Idempotency-Key reused with another request"),
        },
        tags=["workflow"],
        description=f"The case page's action「{spec.label}」with the page's form fields as JSON, checked by the "
        "workflow's permission table (403 with the reason: state, role, organisation, 回避). Data-dependent "
        "400s: text that is only whitespace, dates outside the allowed window, codes, ids and user names "
        "that must exist.",
    )
    def post(self, request: Request, reference: str) -> Response:
        return act(request, reference, name)

    return type(f"{''.join(p.capitalize() for p in name.split('_'))}Action", (APIView,), {
        "parser_classes": [SafeJSONParser],
        "post": post,
    })  # fmt: skip


ACTION_VIEWS = {name: _action_view(name) for name in actions.SPECS}


def _case_etag_response(data: dict, version: str) -> Response:
    return Response(data, headers={"ETag": etag(version)})


def _decision(d) -> dict:
    return {
        "version": d.version,
        "text": d.text,
        "proposed_result": d.proposed_result,
        "redress_type": d.redress_type,
        "redress_amount": d.redress_amount,
        "root_cause": d.root_cause_code.code if d.root_cause_code_id else "",
        "review": d.review,
        "review_comment": d.review_comment,
        "informed_on": d.informed_on,
        "informed_via": d.informed_via,
    }


class CaseClock(APIView):
    @extend_schema(
        operation_id="complaints_clock",
        tags=["workflow"],
        responses={200: s.ClockSerializer, 404: s.ErrorSerializer},
        description="The regulatory clock of the case page, the case's state and version (also the ETag "
        "header), the pending extension request, the latest decision and the actions the caller may take now.",
    )
    def get(self, request: Request, reference: str) -> Response:
        case = complaint_selectors.complaint_get_for(request.user, reference)
        clock = selectors.clock_for(case)
        pending = selectors.pending_extension(case)
        decision = selectors.latest_decision(case)
        data = {
            **case_state(request.user, case),
            **{f: getattr(clock, f) for f in s.ClockSerializer().fields if hasattr(clock, f)},
            "pending_extension": (
                {"id": pending.pk, "level": pending.level, "requested_at": pending.requested_at} if pending else None
            ),
            "decision": _decision(decision) if decision else None,
        }
        return _case_etag_response(s.ClockSerializer(data).data, version_of(case))


class CaseTimeline(APIView):
    @extend_schema(
        operation_id="complaints_timeline",
        tags=["workflow"],
        responses={200: s.TimelineSerializer, 404: s.ErrorSerializer},
        description="Everything that happened to the case, oldest first, as the case page's timeline shows it.",
    )
    def get(self, request: Request, reference: str) -> Response:
        case = complaint_selectors.complaint_get_for(request.user, reference)
        entries = [
            {
                "at": e.at,
                "title": e.title,
                "kind": e.kind,
                "detail": e.detail,
                "actor": e.actor,
                "url": e.url,
                "source": e.source,
                "elapsed_minutes": int(e.elapsed.total_seconds() // 60) if e.elapsed is not None else None,
            }
            for e in timeline_entries(case)
        ]
        data = {"reference": case.reference, "version": version_of(case), "entries": entries}
        return _case_etag_response(s.TimelineSerializer(data).data, version_of(case))
