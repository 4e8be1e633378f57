"""Web hardening settings (login throttling, CSP, caching of customer data, API limits),
applied to the settings module's namespace at its end: ``apply(globals())``. Kept apart from
settings.py so the security layer reads in one place."""

from __future__ import annotations


def apply(s: dict) -> None:
    """Adjust the settings namespace ``s`` in place."""
