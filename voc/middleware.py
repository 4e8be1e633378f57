"""Simplified Chinese unless the user chose otherwise.

Django's LocaleMiddleware would follow the browser's Accept-Language, so a
branch PC with an English browser would get English. The product's rule is
zh-hans by default and English by explicit switch (the language cookie set by
``set_language``), so the header is ignored.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import translation
from django.utils.translation import gettext as _

from .errors import api_error_response, is_api_path


class DefaultLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class RejectNulMiddleware:
    """A NUL character in a query string or form field is never legitimate input, and
    PostgreSQL refuses it in text columns (a DataError, i.e. a 500, wherever a view reads a raw
    value). Forms already refuse it field by field; this answers every other path with a 400."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request.GET) or (request.method == "POST" and _has_nul(request.POST)):
            # Runs before LocaleMiddleware: the user's language (cookie) is looked up here.
            with translation.override(translation.get_language_from_request(request)):
                message = _("请求中含有无效字符（NUL）。")
            if is_api_path(request.path_info):  # the API's JSON error shape, as everywhere under /api/
                return api_error_response("bad_request", message, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _has_nul(data) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in data.lists())
