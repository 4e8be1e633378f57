"""Shared fixtures. The org tree is deliberately unequal (QUALITY.md): branch BJ
has a sub-branch, SH has none, so a scoping bug shows up as a wrong count."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import settings as hypothesis_settings
from kombu import pools as kombu_pools

from accounts import roles
from accounts.models import Organisation, User
from tests.accounts.factories import OrganisationFactory, UserFactory

# Property tests check behaviour, not speed: Hypothesis's default 200 ms deadline per example
# turns a busy CI machine (or a first-call import) into a "Flaky" failure. Speed is measured in
# bench/, never in tests.
hypothesis_settings.register_profile("voc", deadline=None, print_blob=True)
hypothesis_settings.load_profile("voc")


def run_in_fresh_django(code: str) -> str:
    """Run ``code`` in a new Python process right after ``django.setup()`` (so nothing the test
    process imported is there) and give back what it printed."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    return subprocess.run(
        [sys.executable, "-c", "import sys, django; django.setup()\n" + code],
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "voc.settings"},
    ).stdout


@contextlib.contextmanager
def use_broker(url: str, transport_options: dict | None = None):
    """The one way a test switches the Celery broker: for the block, the app sends to ``url``
    (with ``transport_options``; None keeps the current ones), then to the broker it had before.

    Each switch resets the connection pools, in and out (what Celery's own after-fork clean-up
    does): they keep the URL they were made with. ``app.pool`` is kombu's process-wide pool for the
    URL, so ``kombu.pools.reset()`` closes it AND forgets it and the next send makes a new one;
    closing it alone left a closed pool that every later send in the process acquired from
    ("Acquire on closed pool", a3fe34d)."""
    from voc.celery import app

    before = app.conf.broker_url, app.conf.broker_transport_options
    _switch_broker(app, url, before[1] if transport_options is None else transport_options)
    try:
        yield
    finally:
        _switch_broker(app, *before)


def _switch_broker(app, url: str, transport_options: dict) -> None:
    kombu_pools.reset()
    app.conf.broker_url, app.conf.broker_transport_options = url, transport_options
    app._pool = None
    amqp = app.__dict__.get("amqp")  # a cached property: built on the first send
    if amqp is not None:
        amqp._producer_pool = None


@pytest.fixture(autouse=True, scope="session")
def _in_memory_broker():
    """Tasks queued by code under test go to an in-memory broker, not to the
    developer's var/broker folder (where a later worker would run them)."""
    with use_broker("memory://", {}):
        yield


@pytest.fixture(autouse=True)
def _celery_eager_from_settings():
    """Each test starts with Celery's eager switches read from the Django settings again. A test
    that sets ``app.conf.task_always_eager`` itself writes Celery's own override layer, which then
    hides ``settings.CELERY_TASK_ALWAYS_EAGER`` from every later test: after the callqa tests set it
    back to False, the wechat and mail acknowledgement tests' ``settings`` override no longer ran
    their tasks (they passed alone and failed in the whole suite)."""
    from voc.celery import app

    keys = ("task_always_eager", "task_eager_propagates")
    before = {key: app.conf.changes[key] for key in keys if key in app.conf.changes}
    yield
    for key in keys:
        if key in before:
            app.conf.changes[key] = before[key]
        else:
            app.conf.changes.pop(key, None)


@pytest.fixture(autouse=True)
def _default_ui_language():
    """Each test starts in the default UI language (Simplified Chinese): a request in English
    leaves English active in its thread (LocaleMiddleware activates, nothing deactivates), and
    messages translated where they are raised would otherwise depend on the order of tests."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.3 s per user; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _migration_data_after_flush(request, django_db_blocker):
    """Transactional tests (browser journeys, concurrency) end with a flush that also
    wipes the data the migrations loaded (the taxonomy). pytest-django runs them after
    all other database tests, so putting the data back before each of them suffices.
    Caches are cleared too: cached taxonomy rows carry the ids the flush invalidated."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional:
        return
    from importlib import import_module

    from django.apps import apps
    from django.core.cache import cache

    load_taxonomy = import_module("complaints.migrations.0002_load_taxonomy").load
    with django_db_blocker.unblock():
        load_taxonomy(apps, None)
    cache.clear()


# Tests that depend on the calendar run on a pinned day, never on the machine's date: a test that
# passed in November failed on 7 December because "the last 100 days" then spanned five months.
PINNED_TODAY = date(2026, 12, 7)
# Days around month, quarter and year edges, for tests parametrised over the calendar.
CALENDAR_EDGES = [PINNED_TODAY, date(2027, 1, 3), date(2026, 3, 1), date(2026, 9, 30)]


@pytest.fixture
def pin_clock(settings):
    """``pin_clock(day)`` moves the clock to 10:00 local time on ``day`` (time keeps ticking)."""
    travellers = []

    def pin(day: date, hour: int = 10) -> date:
        traveller = time_machine.travel(datetime.combine(day, time(hour), tzinfo=ZoneInfo(settings.TIME_ZONE)))
        traveller.start()
        travellers.append(traveller)
        return day

    yield pin
    for traveller in reversed(travellers):
        traveller.stop()


@dataclass
class OrgTree:
    ho: Organisation
    bj: Organisation
    bj_cy: Organisation
    sh: Organisation


@pytest.fixture
def org_tree(db) -> OrgTree:
    ho = OrganisationFactory(code="HO", name_zh="总行", kind=Organisation.Kind.HEAD_OFFICE, parent=None)
    bj = OrganisationFactory(code="BJ", name_zh="北京分行", kind=Organisation.Kind.BRANCH, parent=ho)
    bj_cy = OrganisationFactory(code="BJ-CY", name_zh="朝阳支行", kind=Organisation.Kind.SUB_BRANCH, parent=bj)
    sh = OrganisationFactory(code="SH", name_zh="上海分行", kind=Organisation.Kind.BRANCH, parent=ho)
    return OrgTree(ho=ho, bj=bj, bj_cy=bj_cy, sh=sh)


@pytest.fixture(scope="module")
def access_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The bank of ``tests/access_world.py`` (HO; BJ with BJ-CY and BJ-CYN; BJS: prefix codes,
    unequal counts), built once per test module in a transaction rolled back at its end; each
    test runs in a savepoint inside it. A new fixture: ``org_tree``'s exact counts stay as they are."""
    from django.db import transaction
    from django.test import override_settings

    from tests.access_world import build_world

    media = tmp_path_factory.mktemp("access-media")
    fast = override_settings(MEDIA_ROOT=str(media), PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast:
        outer = transaction.atomic()
        # Like Django's TestCase's own class-wide transaction: the services' durable blocks
        # (atomic(durable=True)) may open inside it, as they do inside each test's.
        outer._from_testcase = True
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def make_user(db):
    def make(role: str, org: Organisation, username: str | None = None) -> User:
        name = username or f"{role}_{org.code.lower().replace('-', '_')}"
        return UserFactory(username=name, org=org, roles=(role,))

    return make


@pytest.fixture
def ho_officer(org_tree, make_user) -> User:
    return make_user(roles.HO_OFFICER, org_tree.ho)


@pytest.fixture
def bj_manager(org_tree, make_user) -> User:
    return make_user(roles.BRANCH_MANAGER, org_tree.bj)


@pytest.fixture
def sh_manager(org_tree, make_user) -> User:
    return make_user(roles.BRANCH_MANAGER, org_tree.sh)


# --- Browser journeys (Playwright driving Debian's chromium; no browser downloads) ---
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    import os

    # Playwright's sync API runs an event loop in this thread; the test's own ORM
    # calls are still synchronous, so allow them.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (desktop size); ``page.base_url`` is the live server."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(15000)
    pg.base_url = live_server.url
    violations = _watch_csp(context, pg)
    yield pg
    context.close()
    assert violations == [], "Content-Security-Policy violations in the browser console"


@pytest.fixture
def phone_page(browser, live_server):
    """A phone-width context (390×844, touch) for the journeys staff do on a phone."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    pg = context.new_page()
    pg.set_default_timeout(15000)
    pg.base_url = live_server.url
    violations = _watch_csp(context, pg)
    yield pg
    context.close()
    assert violations == [], "Content-Security-Policy violations in the browser console"


def _watch_csp(context, pg) -> list[str]:
    """Every journey doubles as a Content-Security-Policy check (voc/hardening.py): whatever the
    policy blocks (an inline script, style or handler) is reported on the console, and the page
    fixtures fail the test on any such report."""
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile))"
    )
    violations: list[str] = []
    pg.on(
        "console",
        lambda msg: (
            violations.append(msg.text) if msg.type == "error" and "Content Security Policy" in msg.text else None
        ),
    )
    return violations


def browser_login(pg, username: str, password: str = "pw-test-123") -> None:
    """Log in through the real login form."""
    pg.goto(f"{pg.base_url}/login/")
    pg.fill("#id_username", username)
    pg.fill("#id_password", password)
    pg.click("button[type=submit]")
    pg.wait_for_url(f"{pg.base_url}/")
