"""Structured JSON errors for the API: one shape for every failure.

{"error": {"code": "validation_error", "message": "...", "fields": {"code_b": ["..."]}}}
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
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
        if isinstance(data, dict):
            fields = {k: v if isinstance(v, list) else [v] for k, v in data.items()}
            first = next(iter(fields.values()), [""])
            message = str(first[0]) if first else ""
        else:
            fields = {"non_field_errors": data}
            message = str(data[0]) if data else ""
        code = "validation_error"
    else:
        detail = data.get("detail", "") if isinstance(data, dict) else data
        message = str(detail)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    response.data = {"error": {"code": code, "message": message, "fields": fields}}
    return response
