"""Demo step for analytics: the call history behind the hot-topic panel (issue 16), then rebuild the
rollup after the other apps' demo data. Idempotent."""

from __future__ import annotations

from recordings.demo_history import seed_history

from .hot_counts import rebuild as hot_terms_rebuild
from .services import rollup_rebuild


def seed(stdout=None, options=None) -> None:
    if not (options or {}).get("quick"):  # --quick (tests, CI) skips slow steps: ~2 min of files
        seed_history(stdout.write if stdout is not None else (lambda _msg: None))
        calls = hot_terms_rebuild()  # the history is bulk-created: count its terms
        if stdout is not None:
            stdout.write(f"analytics: hot terms counted ({calls} calls)")
    rows = rollup_rebuild(stdout=None)
    if stdout is not None:
        stdout.write(f"analytics: rollup rebuilt ({rows} rows)")
