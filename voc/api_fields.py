"""DRF fields shared by the APIs."""

from __future__ import annotations

from rest_framework import serializers

from .validators import plausible_date


class PlausibleDateTimeField(serializers.DateTimeField):
    """A datetime within 1900-2100. DRF converts to UTC before validators run, and year 1 in
    UTC+8 underflows there (OverflowError, a 500): refuse it with the same message instead."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validators", [plausible_date])
        super().__init__(**kwargs)

    def enforce_timezone(self, value):
        try:
            return super().enforce_timezone(value)
        except OverflowError:
            plausible_date(value.date())  # raises: the date is out of range
            raise
