"""The extension registry (voc/extensions.py, issue 13): every point finds its contributions over the
installed apps, in a fixed order, and a broken contribution fails loudly outside production and is
logged and left out in production (never a 500 for the whole page).

Broken contributions are real modules written to a temporary folder that is added to an installed
app's package path, so the real import machinery loads (or fails to load) them."""

from __future__ import annotations

import ast
import logging
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

from accounts import roles
from accounts.management.commands.seed_demo import DEMO
from accounts.navigation import NAVIGATION, collect_links
from complaints.intake_sources import SOURCES
from complaints.list_actions import BULK
from complaints.list_selectors import SEARCH
from complaints.panels import CASE_PANELS, CUSTOMER_PANELS
from complaints.services.keys import KEYED
from complaints.services.retention import ANONYMISE_ROWS, COUNTS, KEPT_BY_TRAIL, OPEN_WORK, PURGE_ROWS, STORED_FILES
from tests.complaints.factories import ComplaintFactory
from tests.conftest import PINNED_TODAY
from voc import extensions
from voc.extensions import BadContribution, ExtensionPoint
from workflow.timeline import TIMELINE

ROOT = Path(__file__).resolve().parents[1]
# in INSTALLED_APPS order
DOMAIN_APPS = ["complaints", "workflow", "recordings", "analytics", "integrations", "callqa", "mailintake", "wechat"]


def test_each_point_finds_every_app_that_contributes_in_installed_apps_order():
    points = (
        NAVIGATION,
        CASE_PANELS,
        CUSTOMER_PANELS,
        TIMELINE,
        DEMO,
        SEARCH,
        SOURCES,
        BULK,
        OPEN_WORK,
        STORED_FILES,
        ANONYMISE_ROWS,
        PURGE_ROWS,
        COUNTS,
        KEPT_BY_TRAIL,
        KEYED,
    )
    found = {p.name: [c.app for c in p.contributions()] for p in points}
    assert found == {
        "navigation.links_for": [
            "complaints",
            "workflow",
            "recordings",
            "analytics",
            "integrations",
            "callqa",
            "mailintake",
            "wechat",
        ],
        "case_panels.panels_for": ["workflow", "recordings"],
        "customer_panels.panels_for": ["workflow", "recordings"],
        "timeline.entries_for": ["recordings"],
        "demo.seed": ["complaints", "workflow", "recordings", "analytics", "callqa"],
        "search.complaint_ids_matching": ["recordings"],
        "intake_sources.source_for": ["recordings", "mailintake", "wechat"],
        "list_actions.bulk_for": ["workflow"],
        "retention.open_work": ["workflow", "recordings", "mailintake", "wechat"],
        "retention.stored_files": ["workflow", "recordings", "mailintake", "wechat"],
        "retention.anonymise": ["workflow", "recordings", "mailintake", "wechat"],
        "retention.purge": ["workflow", "recordings", "mailintake", "wechat"],
        "retention.counts": ["workflow", "recordings", "mailintake", "wechat"],
        "retention.kept_by_trail": ["workflow", "recordings", "mailintake", "wechat"],
        "pii_keys.keyed_fields": ["integrations", "wechat"],
    }
    import recordings.timeline

    assert TIMELINE.contributions()[0].function is recordings.timeline.entries_for
    assert {extensions.POINTS[name] for name in found} == set(points)


@pytest.mark.parametrize("path", ["accounts/navigation.py", "accounts/management/commands/seed_demo.py"])
def test_accounts_names_no_domain_app(path):
    strings = {
        node.value
        for node in ast.walk(ast.parse((ROOT / path).read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    assert strings & set(DOMAIN_APPS) == set()


# --- the error policy, with real modules -----------------------------------------------------

PROBE = "extension_probe"
BROKEN = {
    "import_fails": ("import voc_no_such_module_anywhere\n", ModuleNotFoundError),
    "syntax_error": ("def items_for(:\n", SyntaxError),
    "no_function": ("ITEMS = ['x']\n", BadContribution),
    "function_raises": ("def items_for(n):\n    raise RuntimeError('boom')\n", RuntimeError),
    "not_a_list": ("def items_for(n):\n    return 'abc'\n", BadContribution),
    "bad_item": ("def items_for(n):\n    return ['ok', {'customer': 'Zhang San'}]\n", BadContribution),
}


@pytest.fixture
def probe(tmp_path, monkeypatch):
    """A point ``extension_probe.items_for`` owned by accounts: workflow contributes a healthy module,
    recordings the broken one the test asks for."""
    import recordings
    import workflow

    def install(app, source: str) -> None:
        folder = tmp_path / app.__name__
        folder.mkdir()
        (folder / f"{PROBE}.py").write_text(source, encoding="utf-8")
        monkeypatch.setattr(app, "__path__", [*app.__path__, str(folder)])

    def make(broken_source: str) -> ExtensionPoint:
        install(workflow, "def items_for(n):\n    return [f'workflow {n}']\n")
        install(recordings, broken_source)
        return ExtensionPoint(f"{PROBE}.items_for", owner="accounts", item=str)

    yield make
    for app in ("workflow", "recordings"):
        sys.modules.pop(f"{app}.{PROBE}", None)
    extensions.POINTS.pop(f"{PROBE}.items_for", None)


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_broken_contribution_fails_loudly_outside_production(probe, settings, kind):
    source, error = BROKEN[kind]
    point = probe(source)
    assert settings.PRODUCTION is False
    with pytest.raises(error):
        point.collect(1)


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_in_production_a_broken_contribution_is_logged_and_left_out(probe, caplog, kind):
    source, error = BROKEN[kind]
    point = probe(source)
    with override_settings(PRODUCTION=True), caplog.at_level(logging.ERROR, logger="voc.extensions"):
        got = point.collect(1)
    assert got == ["workflow 1"]  # the healthy app still contributes
    [record] = [r for r in caplog.records if r.name == "voc.extensions"]
    assert record.levelno == logging.ERROR and "recordings" in record.getMessage()
    assert f"{error.__name__}: " in caplog.text  # the error itself is in the log
    assert "Zhang San" not in caplog.text  # not the rejected value (it may be a customer's data)


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_strict_point_fails_loudly_in_production_too(probe, kind):
    source, error = BROKEN[kind]
    point = probe(source)
    strict = ExtensionPoint(point.name, owner=point.owner, item=point.item, strict=True)
    with override_settings(PRODUCTION=True), pytest.raises(error):
        strict.collect(1)


def test_an_app_without_the_module_contributes_nothing(probe):
    point = probe("def items_for(n):\n    return [f'recordings {n}']\n")
    assert point.collect(2) == ["workflow 2", "recordings 2"]
    assert ExtensionPoint("no_app_has_this_module.items_for", owner="accounts").contributions() == []
    extensions.POINTS.pop("no_app_has_this_module.items_for")


# --- what people see stays as it was -----------------------------------------------------------


def test_the_menu_keeps_its_order(org_tree, make_user):
    keys = lambda user: [link.key for link in collect_links(user)]  # noqa: E731
    assert keys(make_user(roles.HO_OFFICER, org_tree.ho)) == [
        "intake",
        "complaint_list",
        "wf_inbox",
        "wf_approvals",
        "wf_overview",
        "recordings",
        "listen",
        "redaction_review",
        "suspected",
        "analytics_top",
        "analytics_rising",
        "analytics_trends",
        "analytics_perf",
        "analytics_improvements",
        "regulator_upload",
        "regulator_results",
        "qa_queue",
        "qa_cards",
        "mail",
        "wechat",
        "notifications",
    ]
    assert keys(make_user(roles.BRANCH_HANDLER, org_tree.bj)) == [
        "intake",
        "complaint_list",
        "wf_mine",
        "wf_inbox",
        "recordings",
        "listen",
        "mail",
        "wechat",
        "notifications",
    ]
    assert keys(make_user(roles.ADMIN, org_tree.ho))[-3:] == ["notifications", "admin", "audit"]


@pytest.fixture
def case_page(client, org_tree, ho_officer, pin_clock):
    pin_clock(PINNED_TODAY)
    case = ComplaintFactory(responsible_org=org_tree.bj)
    client.force_login(ho_officer)
    return lambda: client.get(reverse("workflow:case", args=[case.pk]))


def _positions(html: str, *marks: str) -> list[int]:
    return [html.find(m) for m in marks]


PANEL_MARKS = ('id="wf-clock"', 'id="wf-actions"', "data-rec-panel", 'id="wf-timeline"')


def test_the_case_page_shows_every_apps_panel_in_order(case_page):
    html = case_page().content.decode()
    places = _positions(html, *PANEL_MARKS)
    assert -1 not in places and places == sorted(places)


@pytest.fixture
def broken_panel(tmp_path, monkeypatch):
    """analytics contributes a case panel whose code fails."""
    import analytics

    folder = tmp_path / "analytics"
    folder.mkdir()
    (folder / "case_panels.py").write_text(
        "def panels_for(request, complaint, **hints):\n    raise RuntimeError('analytics panel broke')\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(analytics, "__path__", [*analytics.__path__, str(folder)])
    yield
    sys.modules.pop("analytics.case_panels", None)


def test_a_broken_panel_breaks_the_case_page_in_tests(case_page, broken_panel):
    with pytest.raises(RuntimeError, match="analytics panel broke"):
        case_page()


def test_in_production_a_broken_panel_leaves_the_rest_of_the_case_page(case_page, broken_panel, caplog):
    with override_settings(PRODUCTION=True), caplog.at_level(logging.ERROR, logger="voc.extensions"):
        resp = case_page()
    assert resp.status_code == 200
    assert -1 not in _positions(resp.content.decode(), *PANEL_MARKS)
    assert any("analytics" in r.getMessage() for r in caplog.records if r.name == "voc.extensions")


def test_only_the_projects_own_apps_are_asked():
    # rest_framework, django.contrib.auth and staticfiles have a ``urls`` module too; they never contribute.
    assert [c.label for c in extensions.project_apps()] == ["accounts", *DOMAIN_APPS]


def test_every_apps_pages_and_api_are_mounted_under_its_label():
    assert reverse("accounts:notifications").startswith("/accounts/")
    assert reverse("complaints:list").startswith("/complaints/")
    assert reverse("workflow:inbox").startswith("/workflow/")
    assert reverse("recordings:list").startswith("/recordings/")
    assert reverse("analytics:top").startswith("/analytics/")
