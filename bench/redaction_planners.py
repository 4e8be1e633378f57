"""Listening-copy planners for bench/redaction.py and bench/redaction_why.py: today's code or a
frozen copy from git, so one run compares the product's planner at a commit with the planner in
the working tree on the same transcripts (the landing rule of issue 10).

    new          recordings.deid.plan_listening_copy as in this checkout
    new@REV      the same function as committed at REV (any git revision: b7a31da, HEAD, HEAD~3)

A frozen planner is extracted with ``git show REV:path`` (recordings/redaction.py, every
recordings/deid*.py and recordings/deid_lexicon.json at REV) into
var/bench/deid/planners/<sha>/recordings_<sha>/ and imported from there as a package; it uses
this checkout's ``complaints.pii``. Transcripts are pickled with this checkout's
``recordings.redaction`` values; the planner only reads their attributes.
"""

from __future__ import annotations

import functools
import importlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLANNERS = ROOT / "var" / "bench" / "deid" / "planners"


def _git(*args: str) -> str:
    out = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"git {' '.join(args)}: {out.stderr.strip()}")
    return out.stdout


@functools.cache
def frozen_package(rev: str) -> str:
    """Extract the planner at ``rev`` (once) and return the name of its importable package."""
    sha = _git("rev-parse", "--short=10", f"{rev}^{{commit}}").strip()
    name = f"recordings_{sha}"
    base = PLANNERS / sha
    pkg = base / name
    if not (pkg / "__init__.py").exists():
        files = [
            p
            for p in _git("ls-tree", "--name-only", sha, "recordings/").split()
            if p == "recordings/redaction.py" or (p.startswith("recordings/deid") and p.endswith((".py", ".json")))
        ]
        if "recordings/deid.py" not in files:
            raise SystemExit(f"{rev} ({sha}) has no recordings/deid.py")
        pkg.mkdir(parents=True, exist_ok=True)
        for path in files:
            (pkg / Path(path).name).write_text(_git("show", f"{sha}:{path}"), encoding="utf-8")
        (pkg / "__init__.py").write_text(f'"""recordings/deid*.py as committed at {sha} (bench copy)."""\n')
    if str(base) not in sys.path:
        sys.path.insert(0, str(base))
    return name


def planner(method: str):
    """``plan_listening_copy`` of method ``new`` or ``new@REV``."""
    if method == "new":
        from recordings.deid import plan_listening_copy

        return plan_listening_copy
    if method.startswith("new@"):
        module = importlib.import_module(frozen_package(method[4:]) + ".deid")
        return module.plan_listening_copy
    raise ValueError(f"not a listening-copy planner: {method!r} (new or new@REV)")


def deid_module(method: str):
    """The ``deid`` module behind ``planner(method)`` (for ``run_layers`` and constants)."""
    if method == "new":
        return importlib.import_module("recordings.deid")
    return importlib.import_module(frozen_package(method[4:]) + ".deid")
