"""Every URL the product serves, listed once: who may use it and how to build its arguments.

``tests/test_access_registry.py`` runs the unequal-fixture check (QUALITY.md) over every entry
and walks Django's URL resolver: a route missing here fails the suite, so a new endpoint cannot
skip the access check. ``tests/test_leak_scan.py`` walks the same entries looking for full card,
mobile and ID numbers.

WHERE A NEW ENTRY GOES: the ``ROUTES`` list of the module named after the app that serves the URL
(the URL name's namespace):

- ``core_routes.py``: voc/urls.py (no namespace: home, login, healthz, api-schema, ...) and ``accounts:``
- ``complaints_routes.py``: ``complaints:`` and ``complaints_api:``
- ``workflow_routes.py``: ``workflow:`` and ``workflow_api:``
- ``mailintake_routes.py``, ``recordings_routes.py`` (+ ``recordings_api:``), ``analytics_routes.py``
  (+ ``analytics_api:``), ``integrations_routes.py``, ``callqa_routes.py``, ``wechat_routes.py``
- a new app: a new ``<app>_routes.py`` with a ``ROUTES`` list, added to ``_MODULES`` below.

Shared pieces (``Route``, the role sets such as ``INTAKE`` or ``UNMASK``, ``refs``, ``case_ref``,
``POST_OK``...) are in ``base.py``; everything stays importable from ``tests.access_registry``.

An entry says:
- ``roles``: the roles that may use the route (``ALL`` = any signed-in user, ``PUBLIC`` = anyone).
  Everybody else gets 403 or 404 (never a page).
- ``obj``: for a route about one object (``case``, ``recording``, ``improvement``), how its
  arguments are built from that object. A branch user asking for another branch's object gets
  404 — whatever their role, so the answer never tells that the object exists.
- ``rows``: for lists, searches, exports and reports, what the response lists (case references,
  recording ids, improvement ids); ``exact`` says whether that is everything the user may see
  (a list) or a subset (an inbox that shows only what waits on the user).
"""

from __future__ import annotations

from tests.access_registry import (
    analytics_routes,
    callqa_routes,
    complaints_routes,
    core_routes,
    integrations_routes,
    mailintake_routes,
    recordings_routes,
    wechat_routes,
    workflow_routes,
)
from tests.access_registry.base import (  # noqa: F401 - the package's public names
    ADMIN,
    AGENT,
    ALL,
    ANALYTICS,
    APPROVER,
    AUDIT,
    AUDITOR,
    EXCLUDED_NAMESPACES,
    HANDLER,
    INTAKE,
    LISTENER,
    MANAGER,
    OFFICER,
    POST_OK,
    PUBLIC,
    QA_READ,
    QA_REVIEW,
    REF_RE,
    REGULATOR_EXPORT,
    REGULATOR_IMPORT,
    REMEDIATION,
    SUSPECTS,
    UNMASK,
    UPLOAD,
    Route,
    body_bytes,
    body_text,
    case_pk,
    case_ref,
    improvement_ids_api,
    improvement_ids_csv,
    improvement_ids_html,
    json_text,
    mail_ids_html,
    mail_pk,
    rec_ids_api,
    rec_ids_html,
    rec_pk,
    refs,
    refs_xlsx,
    report_total,
)
from tests.access_registry.integrations_routes import regulator_period  # noqa: F401
from tests.access_registry.workflow_routes import workflow_actions  # noqa: F401

_MODULES = (
    core_routes,
    complaints_routes,
    workflow_routes,
    mailintake_routes,
    recordings_routes,
    analytics_routes,
    integrations_routes,
    callqa_routes,
    wechat_routes,
)

REGISTRY: list[Route] = [route for module in _MODULES for route in module.ROUTES]


def url_of(route: Route, obj=None) -> str:
    from django.urls import reverse

    if route.obj:
        return reverse(route.name, args=route.args(obj))
    return reverse(route.name, args=route.args() if route.args else None)


def request_route(client, route: Route, world, obj=None):
    """Ask for ``route`` (about ``obj``) the way the registry says, with the world's data."""
    data = route.data(world) if route.data else {}
    if route.method == "POST" and route.json:
        return client.post(url_of(route, obj), data, content_type="application/json")
    if route.method == "POST":
        return client.post(url_of(route, obj), data)
    return client.get(url_of(route, obj), data)


def registered_names() -> set[str]:
    return {r.name for r in REGISTRY}


def route_by_id(route_id: str) -> Route:
    return next(r for r in REGISTRY if r.id == route_id)
