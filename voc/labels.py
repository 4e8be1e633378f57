"""Choice labels translated once per language: ``str()`` of a lazy label runs gettext each time
(about 35 calls), a per-row cost on long lists (issue 12). Catalogues do not change while the
process runs, so a label is looked up once per (language, choice) and kept."""

from __future__ import annotations

from django.utils.translation import get_language


class Labels:
    """``Labels(choices)(value)``: the label of ``value`` in the active language, or ``value``
    itself when it is not a choice (as ``get_FOO_display`` does)."""

    def __init__(self, choices) -> None:
        self._lazy = dict(choices)
        self._done: dict[tuple[str | None, object], str] = {}

    def __call__(self, value) -> str:
        key = (get_language(), value)
        try:
            return self._done[key]
        except KeyError:
            label = str(self._lazy.get(value, value))
            self._done[key] = label
            return label
