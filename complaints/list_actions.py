"""What the case list offers for selected rows (its bulk bar), contributed by the apps that act
on cases: ``<app>/list_actions.py`` with ``bulk_for(user)`` returning a list of dicts with any of
``route`` (bool: the user may dispatch the rows), ``assign`` (bool) and ``handlers`` (the people
the rows may be assigned to). The list owns the point and names no app (issue 13: complaints
imports no workflow); each row is still checked by the app's own service when the bar is used."""

from __future__ import annotations

from voc.extensions import ExtensionPoint

KEYS = frozenset({"route", "assign", "handlers"})
BULK = ExtensionPoint(
    "list_actions.bulk_for", owner="complaints", item=lambda d: isinstance(d, dict) and set(d) <= KEYS
)


def bulk_choices(user) -> dict:
    """The list's bulk bar for ``user``: ``route``, ``assign``, ``handlers`` and ``any`` (show the bar)."""
    choices: dict = {"route": False, "assign": False, "handlers": []}
    for part in BULK.collect(user):
        choices.update(part)
    choices["any"] = bool(choices["route"] or choices["assign"])
    return choices
