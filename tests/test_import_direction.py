"""The import graph between the apps runs one way (issue 13). Analytics and integrations are leaves:
they listen to the other apps (signals) and read their tables, and no other app imports them;
accounts is the base and names no domain app; complaints owns the case row and its state machine
and never imports the workflow, which builds on it. Read from the source with ``ast``,
function-local imports too."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ("accounts", "complaints", "workflow", "recordings", "voc")
# (module, imported module): allowed, with the reason. Empty: the retention job's purge tells
# analytics through complaints.signals.cases_purged, and the export writer both analytics and the
# regulator's files use is voc.exports.
ALLOWED: set[tuple[str, str]] = set()


def _project_apps() -> list[str]:
    """Every app of the project (a top-level package with an apps.py), analytics aside."""
    return sorted(p.parent.name for p in ROOT.glob("*/apps.py") if p.parent.name != "analytics")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def test_no_app_imports_analytics():
    assert {"accounts", "callqa", "complaints", "integrations", "mailintake", "recordings", "workflow"} <= set(
        _project_apps()
    )
    bad = []
    for app in [*_project_apps(), "voc"]:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for name in _imports(path):
                if (name == "analytics" or name.startswith("analytics.")) and (_module(path), name) not in ALLOWED:
                    bad.append(f"{_module(path)} imports {name}")
    assert bad == []


DOMAIN_APPS = ("complaints", "workflow", "recordings", "analytics")
# accounts is the base: it names no domain app (its menu and demo data come through voc.extensions).
# (module, imported module): allowed for now, with the reason
ACCOUNTS_ALLOWED = {
    # the admin audit masks card/phone/ID numbers with the one masking rule, which lives in complaints
    ("accounts.admin_audit", "complaints.pii"),
    # the audit page shows an event's details through the same masking rule (never a raw number)
    ("accounts.audit_trail", "complaints.pii"),
    # the login lockout keys on the client address exactly as the public form's throttle does
    ("accounts.lockout", "complaints.throttle"),
}


def test_accounts_imports_no_domain_app():
    bad = []
    for path in sorted((ROOT / "accounts").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for name in _imports(path):
            if name.split(".")[0] in DOMAIN_APPS and (_module(path), name) not in ACCOUNTS_ALLOWED:
                bad.append(f"{_module(path)} imports {name}")
    assert bad == []


def test_accounts_models_point_at_no_domain_model():
    """A notification names its target generically (accounts.notifications), as an audit event
    does: no accounts model has a foreign key into a domain app (issue 13)."""
    from django.apps import apps

    bad = [
        f"{model.__name__}.{field.name} -> {field.related_model._meta.label}"
        for model in apps.get_app_config("accounts").get_models()
        for field in [*model._meta.fields, *model._meta.many_to_many]
        if field.is_relation and field.related_model._meta.app_label in DOMAIN_APPS
    ]
    assert bad == []


# complaints -> workflow: the case row, its states and transitions live in complaints; the workflow
# hears about a new case through complaints.signals.complaint_registered and contributes the list's
# bulk bar, the retention job's rows and the demo's due dates through its own modules
# (docs/decisions/case-row-ownership.md). Migrations are read too: they are imported code.
# (module, imported module): allowed, with the reason — none.
COMPLAINTS_ALLOWED: set[tuple[str, str]] = set()


def test_complaints_imports_no_workflow():
    bad = []
    for path in sorted((ROOT / "complaints").rglob("*.py")):
        for name in _imports(path):
            if name.split(".")[0] == "workflow" and (_module(path), name) not in COMPLAINTS_ALLOWED:
                bad.append(f"{_module(path)} imports {name}")
    assert bad == []


# The states and transitions are complaints' own: the workflow's re-exports (workflow.states,
# workflow.fsm) are gone, and nothing imports the state machine from the workflow again - not the
# apps, not the tests, not the benchmarks, relative imports inside workflow included.
GONE = ("workflow.states", "workflow.fsm")


def _source_dirs(root: Path) -> list[Path]:
    """The project's Python: every top-level package, the tests, benchmarks and scripts."""
    return [
        d
        for d in sorted(root.iterdir())
        if d.is_dir() and ((d / "__init__.py").exists() or d.name in ("bench", "scripts", "tests"))
    ]


def _absolute_imports(path: Path) -> set[str]:
    """Every module ``path`` imports, relative imports made absolute, each imported name as well
    (``from workflow import states`` -> workflow.states)."""
    module = _module(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - (node.level - 1)], *([base] if base else [])])
            found |= {base} | {f"{base}.{a.name}" for a in node.names}
    return found


def _state_machine_from_the_workflow(root: Path) -> list[str]:
    bad = [f"{name.replace('.', '/')}.py exists" for name in GONE if (root / f"{name.replace('.', '/')}.py").exists()]
    for top in _source_dirs(root):
        for path in sorted(top.rglob("*.py")):
            names = _absolute_imports(path)
            bad += [f"{_module(path)} imports {name}" for name in GONE if name in names]
    return bad


def test_nothing_takes_the_state_machine_from_the_workflow():
    assert _state_machine_from_the_workflow(ROOT) == []


def test_the_state_machine_check_finds_every_way_back(tmp_path, monkeypatch):
    (tmp_path / "workflow" / "api").mkdir(parents=True)
    (tmp_path / "workflow" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "workflow" / "fsm.py").write_text("from complaints.fsm import *\n", encoding="utf-8")
    (tmp_path / "workflow" / "api" / "views.py").write_text("from ..states import CaseState\n", encoding="utf-8")
    (tmp_path / "workflow" / "demo.py").write_text("def f():\n    from . import fsm\n", encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("import workflow.states\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert _state_machine_from_the_workflow(tmp_path) == [
        "workflow/fsm.py exists",
        "tests.test_x imports workflow.states",
        "workflow.api.views imports workflow.states",
        "workflow.demo imports workflow.fsm",
    ]


# complaints -> the apps that build on the case: recordings, mail intake, WeChat, integrations
# (regulator files, webhooks, API clients) and call QA; complaints asks them through its extension
# points instead (the intake form's sources: complaints.intake_sources, contributed by
# mailintake/intake_sources.py; the retention job's open work, files, counts, anonymising and purging:
# complaints.services.retention, contributed by recordings/retention.py). Migrations and
# function-local imports count (test_no_app_imports_integrations below skips migrations).
ABOVE_COMPLAINTS = ("recordings", "mailintake", "wechat", "integrations", "callqa")


def _leaf_imports(app_dir: Path) -> list[str]:
    return [
        f"{_module(path)} imports {name}"
        for path in sorted(app_dir.rglob("*.py"))
        for name in sorted(_imports(path))
        if name.split(".")[0] in ABOVE_COMPLAINTS
    ]


def test_complaints_imports_no_leaf_app():
    assert _leaf_imports(ROOT / "complaints") == []


def test_the_leaf_check_finds_an_import_hidden_in_a_function(tmp_path, monkeypatch):
    package = tmp_path / "complaints"
    package.mkdir()
    (package / "views.py").write_text(
        "def intake(request):\n    from mailintake.selectors import mail_draft_for\n", encoding="utf-8"
    )
    (package / "hooks.py").write_text("import callqa.rules\nfrom integrations import models\n", encoding="utf-8")
    (package / "retention.py").write_text(
        "def purge(ids):\n    from recordings.models import CallRecording\n", encoding="utf-8"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert _leaf_imports(package) == [
        "complaints.hooks imports callqa.rules",
        "complaints.hooks imports integrations",
        "complaints.retention imports recordings.models",
        "complaints.views imports mailintake.selectors",
    ]


def _module_graph(app: str) -> dict[str, set[str]]:
    """Each module of ``app`` -> the modules of ``app`` it imports (relative and function-local too)."""
    paths = {}
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.parts:
            parts = path.relative_to(ROOT).with_suffix("").parts
            paths[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path

    def known(name: str) -> str | None:
        while name and name not in paths:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for module, path in paths.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {known(a.name) for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*up, *([node.module] if node.module else [])])
                found |= {known(f"{base}.{a.name}") for a in node.names}
        graph[module] = found - {None, module}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles (strongly connected groups of more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while (w := stack.pop()) != v:
                group.append(w)
            if group:
                found.append(sorted([v, *group]))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


# Every app: recordings, callqa and wechat broke their services <-> tasks cycles by sending their
# task by name (the task calls the service; the service no longer imports the task).
@pytest.mark.parametrize(
    "app",
    [
        "accounts",
        "complaints",
        "workflow",
        "recordings",
        "analytics",
        "integrations",
        "mailintake",
        "callqa",
        "wechat",
        "voc",
    ],
)
def test_no_import_cycle_inside_the_app(app):
    """A cycle hidden by a function-local import is still a cycle: the modules cannot be read or
    changed apart (the workflow's selectors <-> timeliness and services.case/clock/core were; the
    recordings' services, services.transcription, services.upload and tasks were)."""
    assert _cycles(_module_graph(app)) == []


def test_the_cycle_check_finds_a_cycle_hidden_in_a_function(tmp_path, monkeypatch):
    package = tmp_path / "cyc"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "a.py").write_text("from .b import x\n", encoding="utf-8")
    (package / "b.py").write_text("def x():\n    from . import a\n", encoding="utf-8")
    (package / "c.py").write_text("from cyc.a import x\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert _cycles(_module_graph("cyc")) == [["cyc.a", "cyc.b"]]


def test_the_check_sees_function_local_imports(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text("def f():\n    from analytics.hooks import x\n    import analytics.tasks\n", encoding="utf-8")
    assert _imports(sample) == {"analytics.hooks", "analytics.tasks"}


@pytest.mark.django_db
def test_analytics_follows_complaint_changes_through_the_signal():
    from analytics.models import RollupPending
    from complaints.signals import send_changed

    send_changed([41, 42, 41])  # what complaints and workflow services send in their transaction
    assert sorted(RollupPending.objects.values_list("complaint_id", flat=True)) == [41, 42]


LEAF_APPS = ("integrations", "callqa")  # listen through signals, like analytics; nobody imports them


def test_no_app_imports_integrations():
    bad = []
    for app in (*APPS, "analytics", *LEAF_APPS):
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for name in _imports(path):
                leaf = name.split(".")[0]
                if leaf in LEAF_APPS and leaf != app:
                    bad.append(f"{_module(path)} imports {name}")
    assert bad == []


@pytest.mark.django_db
def test_call_qa_follows_transcription_through_the_signal():
    """recordings names no call QA module: it sends recording_transcribed, callqa listens."""
    from recordings.signals import recording_transcribed

    assert any(key[0] == "callqa.score_after_transcription" for key, *_ in recording_transcribed.receivers)
