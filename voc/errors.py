"""Error views (handler400/403/404/500 in voc/urls.py): API paths answer in the API's JSON error
shape (voc.api_errors), every other path gets a page (templates/400.html, 403.html, 404.html,
500.html). DRF views already answer their own errors in JSON; these cover what happens outside
them: an unknown API URL, a refused request, a crash in middleware."""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults

log = logging.getLogger(__name__)
RETRY_AFTER_S = 5

API_PREFIX = "/api/"


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX)


def api_error_response(code: str, message: str, *, status: int) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "message": message, "fields": {}}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_path(request.path_info):
        return api_error_response("bad_request", _("请求无效。"), status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_path(request.path_info):
        return api_error_response("permission_denied", _("您没有执行该操作的权限。"), status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_path(request.path_info):
        return api_error_response("not_found", _("未找到。"), status=404)
    return defaults.page_not_found(request, exception)


def _database_unavailable() -> bool:
    """Is the error being handled a lost or refused database connection (a restart, a failover),
    anywhere in its chain? Those are temporary: the next request reconnects."""
    exc, seen = sys.exc_info()[1], 0
    while exc is not None and seen < 5:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: the database is unreachable for a moment. No database access here
    (the page has no context processors), so it renders while the database is down."""
    if is_api_path(request.path_info):
        response = api_error_response(
            "service_unavailable", _("服务暂时不可用（数据库正在恢复），请稍后重试。"), status=503
        )
    else:
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_S)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    if _database_unavailable():
        log.warning("database unavailable: answered 503 for %s", request.path_info)
        return service_unavailable(request)
    if is_api_path(request.path_info):
        return api_error_response("server_error", _("服务器内部错误，请稍后重试。"), status=500)
    return defaults.server_error(request)
