"""The error answers every API operation can give, added to the OpenAPI schema in one place
(a drf-spectacular post-processing hook): views declare their own successes and the errors that
are particular to them; these come from the framework and the middleware around every view.

- 400: a malformed request (a NUL character anywhere, JSON that does not parse, a bad query value);
- 403: not signed in (the API answers 403, not 401: the session comes first), or not allowed;
- 404: a path with an id or reference names nothing the caller may see (another branch's case is
  404, never 403: its existence is not revealed);
- 413 and 415 where there is a request body: over ``API_MAX_BODY_BYTES``, or another media type.

Every one of them has the JSON body of voc.api_errors (schema ``Error``).

It also states the query-string convention of DRF serializers, which parse every query here: an
optional parameter sent empty (``?start=``, as an HTML form sends an unfilled field) is the same as
leaving it out, so each optional non-list query parameter also accepts "".
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

ERROR_REF = {"$ref": "#/components/schemas/Error"}
COMMON = {
    "400": "Malformed request or invalid parameters (fields name each one)",
    "403": "Not signed in, or the role may not do this",
}
WITH_PATH_PARAMETER = {"404": "Not found, or outside the caller's scope"}
WITH_BODY = {
    "413": "Request body too large",
    "415": "Unsupported media type",
}


def document_error_answers(result, generator, request, public):
    if "Error" not in result.get("components", {}).get("schemas", {}):
        # Registered by the views that declare their own errors with voc.api_errors.ErrorSerializer.
        raise ImproperlyConfigured("No API operation declares voc.api_errors.ErrorSerializer")
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            extra = dict(COMMON)
            if "{" in path:
                extra |= WITH_PATH_PARAMETER
            if "requestBody" in operation:
                extra |= WITH_BODY
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and not parameter.get("required"):
                    parameter["schema"] = _empty_means_absent(parameter["schema"])
            responses = operation.setdefault("responses", {})
            for code, description in extra.items():
                responses.setdefault(
                    code, {"content": {"application/json": {"schema": ERROR_REF}}, "description": description}
                )
            operation["responses"] = dict(sorted(responses.items()))
    return result


EMPTY = {"type": "string", "maxLength": 0}


def _empty_means_absent(schema: dict) -> dict:
    if schema.get("type") == "array" or _accepts_empty(schema):
        return schema  # a list parameter sent empty is one empty item: refused (MultipleChoiceField)
    return {"anyOf": [schema, EMPTY], "description": "empty: as if not given"}


def _accepts_empty(schema: dict) -> bool:
    return schema.get("type") == "string" and not set(schema) & {"enum", "pattern", "format", "minLength", "anyOf"}
