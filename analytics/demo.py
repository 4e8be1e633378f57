"""Demo step for analytics: rebuild the rollup after the other apps' demo data. Idempotent."""

from __future__ import annotations

from .services import rollup_rebuild


def seed(stdout=None, options=None) -> None:
    rows = rollup_rebuild(stdout=None)
    if stdout is not None:
        stdout.write(f"analytics: rollup rebuilt ({rows} rows)")
