"""Structured JSON errors for the API: one shape for every failure.

{"error": {"code": "validation_error", "message": "...", "fields": {"code_b": ["..."]}}}

``fields`` maps a field's path to its messages, nested fields dotted ("customer.name", a list's
items by index: "items.0.code"), the same keys the services use, so one field's error has one key
whichever layer refused it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _django_validation_to_drf(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "message_dict"):
        return exceptions.ValidationError(exc.message_dict)
    return exceptions.ValidationError({"non_field_errors": exc.messages})


def exception_handler(exc, context) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = _django_validation_to_drf(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    fields: dict = {}
    message = ""
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten_field_errors(data if isinstance(data, dict) else {"non_field_errors": data})
        first = next(iter(fields.values()), [""])
        message = str(first[0]) if first else ""
        code = "validation_error"
    else:
        detail = data.get("detail", "") if isinstance(data, dict) else data
        message = str(detail)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    response.data = {"error": {"code": code, "message": message, "fields": fields}}
    return response


def flatten_field_errors(errors, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail ({"customer": {"name": [...]}}, or a list of such for a list of
    objects) as {"customer.name": [...]}: every value a list of messages."""
    if isinstance(errors, dict):
        flat: dict[str, list[str]] = {}
        for key, value in errors.items():
            flat.update(flatten_field_errors(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(errors, list) and any(isinstance(item, dict | list) for item in errors):
        flat = {}
        for i, item in enumerate(errors):
            if isinstance(item, dict | list):
                flat.update(flatten_field_errors(item, f"{prefix}.{i}"))
            else:
                flat.setdefault(prefix, []).append(item)
        return flat
    return {prefix or "non_field_errors": errors if isinstance(errors, list) else [errors]}


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="validation_error, not_found, permission_denied, request_too_large, ...")
    message = serializers.CharField(help_text="The first message, for people")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Messages per field path, nested fields dotted ("customer.name"); empty when no field is at fault',
    )


class ErrorSerializer(serializers.Serializer):
    """The body of every API error (4xx and 5xx)."""

    error = ErrorBodySerializer()
