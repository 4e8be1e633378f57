"""DRF fields shared by the APIs, with the schema saying exactly what they accept."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .validators import EARLIEST, LATEST, plausible_date

# plausible_date's range as a pattern, so the schema states it: years 1900-2100 (the range ends on
# the first and last days of those years); an ISO date has exactly this shape, no basic or week form.
_YEAR = r"(19\d\d|20\d\d|2100)"
_RANGE_NOTE = f"between {EARLIEST.isoformat()} and {LATEST.isoformat()}"
DATE_PATTERN = rf"^{_YEAR}-\d\d-\d\d$"
_ISO_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
DATE_SCHEMA = {"type": "string", "format": "date", "pattern": DATE_PATTERN, "description": f"A date {_RANGE_NOTE}"}
DATETIME_SCHEMA = {
    "type": "string",
    "format": "date-time",
    "pattern": rf"^{_YEAR}-",
    "description": f"A date and time {_RANGE_NOTE} (the date as written, before any time-zone conversion)",
}


@extend_schema_field(DATE_SCHEMA)
class PlausibleDateField(serializers.DateField):
    """An ISO date (YYYY-MM-DD only: Python also parses 20260101 and 2026-W01-1) within 1900-2100."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validators", [plausible_date])
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        if isinstance(value, str) and not _ISO_DATE.match(value.strip()):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


@extend_schema_field(DATETIME_SCHEMA)
class PlausibleDateTimeField(serializers.DateTimeField):
    """A datetime whose date, as written, is within 1900-2100. Checked before DRF converts it to the
    current time zone: year 1 in UTC+8 underflows there (OverflowError, a 500), and 2100-12-31T23:00-05:00
    would otherwise pass or fail depending on the zone."""

    def enforce_timezone(self, value):
        plausible_date(value.date())  # a Django ValidationError: the serializer reports it on the field
        try:
            return super().enforce_timezone(value)
        except OverflowError:  # cannot happen within 1900-2100; a 400 all the same, never a 500
            raise serializers.ValidationError(f"The date must be {_RANGE_NOTE}") from None


# The JSON type the schema states for each kind of field (checked most specific first).
_JSON_TYPES: list[tuple[type, tuple[type, ...]]] = [
    (serializers.BooleanField, (bool,)),
    (serializers.IntegerField, (int,)),
    (serializers.FloatField, (int, float)),
    (serializers.MultipleChoiceField, (list,)),
    (serializers.ListField, (list,)),
    (serializers.DictField, (dict,)),
    (serializers.DecimalField, (str,)),  # the schema says string (COERCE_DECIMAL_TO_STRING)
    (serializers.CharField, (str,)),
    (serializers.ChoiceField, (str,)),
    (serializers.DateField, (str,)),
    (serializers.DateTimeField, (str,)),
    (serializers.SlugRelatedField, (str,)),
]


class JsonTypesMixin:
    """For serializers of JSON bodies: each value has the JSON type the schema states. DRF alone
    would take 1 for "1", "true" for true and 12.5 for "12.50"; the schema promises the types, so a
    client that sends another finds out at once (400 naming the field) rather than by accident."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = json_type_errors(self.fields, data)
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


def json_type_errors(fields: dict[str, serializers.Field], data: dict) -> dict[str, list[str]]:
    """Each present, non-null value of ``data`` whose JSON type is not the one its field's schema
    states, with the message; missing and null values are left to the field's own rules."""
    errors = {}
    for name, field in fields.items():
        if field.read_only or name not in data or data[name] is None:
            continue
        expected = next((types for kind, types in _JSON_TYPES if isinstance(field, kind)), None)
        value = data[name]
        if expected and (not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected)):
            errors[name] = [_("应为 JSON %(type)s") % {"type": _JSON_NAMES[expected[0]]}]
    return errors


_JSON_NAMES = {bool: "boolean", int: "number", str: "string", list: "array", dict: "object"}
