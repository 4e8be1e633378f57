"""The unequal-fixture check (QUALITY.md) over every route in ``tests/access_registry/``.

One world (``tests/access_world.py``) for the module, built once in a transaction rolled back at
the end; each test runs in a savepoint inside it. For each route and each user (every role at
head office, the branch roles at BJ, BJ-CY, BJ-CYN and BJS):
- another branch's object → 404, whatever the role (never 403: that would tell it exists);
- an object in scope → the route's answer for a role that may use it, 403/404 for any other;
- a list, search, export or report → exactly the rows of the user's subtree (or a subset, for
  inboxes); head office sees both branches;
- no body a branch user receives names another branch's case.
BJ/BJS and BJ-CY/BJ-CYN are prefix pairs: a path rule without its trailing "/" fails here.
"""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts import roles
from tests.access_registry import EXCLUDED_NAMESPACES, REF_RE, REGISTRY, Route, body_text, request_route, url_of
from tests.access_world import BRANCH_ORGS, SUBTREE, World
from tests.test_leak_scan import PHONE_ONLY, UNMASKING, find_numbers, log_leaks, scanned_text


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    # Reports are cached per scope: a test's writes are rolled back, the cache is not. The health
    # probe waits this long for worker replies (there are none in tests).
    settings.HEALTH_WORKER_TIMEOUT_S = 0.05
    yield
    cache.clear()


def _may_use(route: Route, user) -> bool:
    role = next(iter(user.role_set))
    return role in route.roles and (not route.head_office or world_org(user) == "HO")


def world_org(user) -> str:
    return user.org.code


def _no_foreign_refs(resp, world: World, user, route: Route) -> None:
    """No body a user receives names a case outside their subtree, nor a full number (the leak
    scan of tests/test_leak_scan.py, run on every response of this walk)."""
    if not (route.name in UNMASKING and user.has_role(*roles.UNMASK_ROLES)):
        numbers = find_numbers(scanned_text(resp))
        if user.has_role(*PHONE_ONLY.get(route.name, ())):  # the audited reveal to call: the phone only
            numbers = [n for n in numbers if not n.startswith("mobile ")]
        assert not numbers, f"{route.id}: {user.username} is shown full numbers {numbers}"
    foreign = world.keys("cases", frozenset(BRANCH_ORGS) - world.visible_orgs(user))
    if not foreign or getattr(resp, "streaming", False) and resp.get("Content-Type", "").startswith("audio/"):
        return
    named = set(REF_RE.findall(body_text(resp))) & foreign
    assert not named, f"{route.id}: {user.username} is shown other branches' cases {sorted(named)}"


def _check_object_route(client, route: Route, world: World, user, failures: list[str]) -> None:
    own = world.org_of(user)
    if own == "HO":  # one object of each branch (both prefix twins' sides are covered below)
        mine = [world.probes(route.obj, "BJ-CYN")[0], world.probes(route.obj, "BJS")[-1]]
    else:
        mine = world.probes(route.obj, own)
    allowed = _may_use(route, user)
    # Out of scope first: a POST in scope may change the object.
    turn = world.users.index(user)
    for org in BRANCH_ORGS:
        if org in world.visible_orgs(user):
            continue
        # One object per other org and user, taking turns (a linked and an unlinked recording
        # follow different rules; across the users of a branch both are asked for).
        probes = world.probes(route.obj, org)
        if not probes:
            continue
        for obj in probes[turn % len(probes) :][:1]:
            resp = request_route(client, route, world, obj)
            if resp.status_code != 404:
                failures.append(f"{user.username} → {org}'s {route.obj} {url_of(route, obj)}: {resp.status_code}")
    for obj in mine:
        resp = request_route(client, route, world, obj)
        want = route.ok if allowed else route.refused
        if resp.status_code not in want:
            failures.append(
                f"{user.username} ({'may' if allowed else 'may not'} use it) → {route.obj} in scope "
                f"{url_of(route, obj)}: {resp.status_code}, expected {sorted(want)}"
            )
        _no_foreign_refs(resp, world, user, route)


def _check_list_route(client, route: Route, world: World, user, failures: list[str]) -> None:
    allowed = _may_use(route, user)
    resp = request_route(client, route, world)
    want = route.ok if allowed else route.refused
    within = route.lists.partition("@")[2]
    if allowed and route.filter_outside_scope_404 and within not in world.visible_orgs(user):
        want = frozenset({404})
    if resp.status_code not in want:
        failures.append(
            f"{user.username} ({'may' if allowed else 'may not'}): {resp.status_code} not in {sorted(want)}"
        )
        return
    _no_foreign_refs(resp, world, user, route)
    if not (route.rows and allowed and resp.status_code == 200):
        return
    what, _, within = route.lists.partition("@")
    if within and within not in world.visible_orgs(user):
        expected = set()  # a filter naming an org outside the user's scope shows nothing
    else:
        expected = world.keys(what, world.visible_orgs(user, within or None))
    shown = route.rows(resp)
    if isinstance(shown, int):  # a report total: the number of cases in scope
        if shown != len(expected):
            failures.append(f"{user.username}: total {shown}, expected {len(expected)}")
        return
    if route.exact and shown != expected:
        failures.append(
            f"{user.username}: lists {len(shown)} {what}, expected {len(expected)} "
            f"(extra {sorted(shown - expected)}, missing {sorted(expected - shown)})"
        )
    elif not route.exact and not shown <= expected:
        failures.append(f"{user.username}: lists {sorted(shown - expected)} outside their scope")


@pytest.mark.django_db
@pytest.mark.parametrize("route", REGISTRY, ids=lambda r: r.id)
def test_every_route_keeps_each_branch_to_its_own(client, access_world, route, caplog):
    caplog.set_level(logging.DEBUG)
    world, failures = access_world, []
    users = world.users
    if route.same_for_all:
        users = [u for u in users if u.username in ("ho_officer_ho", "branch_handler_bj")]
    for user in users:
        client.force_login(user)
        if route.obj:
            _check_object_route(client, route, world, user, failures)
        else:
            _check_list_route(client, route, world, user, failures)
    assert not failures, f"{route.id}:\n  " + "\n  ".join(failures)
    assert not log_leaks(caplog.records), f"{route.id}: full numbers in the log: {log_leaks(caplog.records)}"


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in REGISTRY if "anonymous" not in r.roles], ids=lambda r: r.id)
def test_signed_out_visitors_get_nothing(client, access_world, route):
    world = access_world
    obj = world.probes(route.obj, "BJ")[0] if route.obj else None
    resp = request_route(client, route, world, obj)
    assert resp.status_code in {302, 401, 403, 404}, resp.status_code
    if resp.status_code == 302:
        assert resp["Location"].startswith(reverse("login"))
    assert not REF_RE.search(body_text(resp))


def test_head_office_sees_both_prefix_branches_and_branches_only_their_own():
    """The hand-written scopes the checks compare against (a guard for the fixture itself)."""
    assert SUBTREE["BJ"].isdisjoint({"BJS"}) and SUBTREE["BJ-CY"].isdisjoint({"BJ-CYN", "BJ"})
    assert SUBTREE["HO"] >= set(BRANCH_ORGS)


# --- every route is in the registry ------------------------------------------------------------


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}:{p.namespace}" if namespace and p.namespace else (p.namespace or namespace)
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            yield prefix + str(p.pattern), name, namespace


def test_every_url_pattern_is_in_the_registry():
    missing, unnamed = [], []
    for pattern, name, namespace in _walk(get_resolver().url_patterns):
        if namespace.split(":")[0] in EXCLUDED_NAMESPACES:
            continue
        if not name:
            unnamed.append(pattern)
        elif name not in {r.name for r in REGISTRY}:
            missing.append(f"{name} ({pattern})")
    assert not unnamed, f"URL patterns without a name cannot be registered: {unnamed}"
    assert not missing, (
        "Routes missing from tests/access_registry/ (add each to the ROUTES of <app>_routes.py for its "
        f"namespace: say who may use it and how to build its arguments): {missing}"
    )


def test_the_registry_names_only_routes_that_exist():
    names = {name for _, name, _ in _walk(get_resolver().url_patterns)}
    stale = sorted({r.name for r in REGISTRY} - names)
    assert not stale, f"tests/access_registry/ lists routes that no longer exist: {stale}"
    assert len({r.id for r in REGISTRY}) == len(REGISTRY), "a route is listed twice"
    assert all(r.roles for r in REGISTRY) and all(r.args for r in REGISTRY if r.obj)
