"""Demo data: every transcribed demo call is checked (runs after the recordings app's demo)."""

from __future__ import annotations


def seed(stdout=None, options=None) -> None:
    from .services import score_unscored

    done = score_unscored()
    if stdout:
        stdout.write(f"callqa: {done} demo calls scored")
