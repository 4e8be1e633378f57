"""Middleware of the web-hardening layer (wired by voc/hardening.py)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from rest_framework.parsers import FileUploadParser, MultiPartParser

from voc.errors import api_error_response, is_api_path


class NoStoreMiddleware:
    """Every response that reaches Django's views may carry customer data (pages, API, exports,
    audio, the public form's confirmation), so none may be kept by a browser or proxy cache.
    Static files are answered by WhiteNoise before this runs and keep their caching."""

    VALUE = "private, no-store"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = self.VALUE
        return response


class ApiBodyLimitMiddleware:
    """Refuses an API request whose declared body is larger than ``API_MAX_BODY_BYTES`` with a
    413 before anything reads it. DRF reads the raw stream, so Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE never applies to a JSON body. Multipart uploads to a view that
    takes files (the recording upload) are left to that view, which caps the file itself;
    Django caps their non-file fields. A body without a Content-Length is not read by Django at
    all; the JSON parser caps what it reads as well."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            is_api_path(request.path_info)
            and _content_length(request) > settings.API_MAX_BODY_BYTES
            and not (_is_multipart(request) and _view_takes_files(request.path_info))
        ):
            return too_large_response(request)
        return self.get_response(request)


def too_large_response(request: HttpRequest) -> HttpResponse:
    limit_kib = settings.API_MAX_BODY_BYTES // 1024
    message = _("请求体过大（上限 %(kib)s KiB）。") % {"kib": limit_kib}
    return api_error_response("request_too_large", message, status=413)


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _is_multipart(request: HttpRequest) -> bool:
    return request.META.get("CONTENT_TYPE", "").lower().startswith("multipart/form-data")


def _view_takes_files(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False
    view_class = getattr(match.func, "cls", None)
    parsers = getattr(view_class, "parser_classes", None) or []
    return any(isinstance(p, type) and issubclass(p, MultiPartParser | FileUploadParser) for p in parsers)
