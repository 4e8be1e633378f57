"""Validators shared by every form and API serializer."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)


def plausible_date(value: date | datetime | None) -> None:
    """A date a complaint system can work with: 0001-01-01 or 9999-12-31 parse as dates but break
    every period, time-zone and "next day" computation (a 500 instead of a message)."""
    if value is None:
        return
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise ValidationError(
            _("日期须在 %(a)s 至 %(b)s 之间"),
            code="date_out_of_range",
            params={"a": EARLIEST.isoformat(), "b": LATEST.isoformat()},
        )
