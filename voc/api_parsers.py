"""The API's JSON parser: DRF's JSONParser with a size cap and a nesting limit.

DRF reads the request stream itself, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE never applies to
a JSON body, and ``json.loads`` raises RecursionError (a 500) on a few thousand nested ``[``.
This parser reads at most ``API_MAX_BODY_BYTES`` + 1 bytes (413 beyond; a request without a
Content-Length is not stopped by ApiBodyLimitMiddleware), and answers malformed or too deeply
nested JSON with a 400.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.utils import json


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self) -> None:
        super().__init__(_("请求体过大（上限 %(kib)s KiB）。") % {"kib": settings.API_MAX_BODY_BYTES // 1024})


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        limit = settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise RequestTooLarge()
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
            data = json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except RecursionError:
            raise exceptions.ParseError(_("JSON 嵌套层级过深。")) from None
        except (UnicodeDecodeError, ValueError) as exc:
            raise exceptions.ParseError(_("JSON 格式无效：%(detail)s") % {"detail": exc}) from None
        if nesting_exceeds(data, settings.API_MAX_JSON_DEPTH):
            raise exceptions.ParseError(_("JSON 嵌套层级过深。"))
        return data


def nesting_exceeds(data, limit: int) -> bool:
    """True when lists/objects nest more than ``limit`` deep (iterative: no recursion)."""
    stack = [(data, 1)] if isinstance(data, list | dict) else []
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, list | dict))
    return False
