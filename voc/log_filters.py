"""A logging filter that masks card, phone and ID numbers in every record it passes.

Installed on every handler in ``settings.LOGGING`` (Django, the root logger, Celery, which
keeps Django's configuration: ``voc.celery``) and on gunicorn's (``voc.gunicorn_conf``).
It rewrites the record itself, once: the formatted message (``msg % args``), the
exception and stack text, and string values in extra attributes (Celery's received/
succeeded lines carry the task's args in ``record.data``). Masking is
``complaints.pii.mask_text``, the one used for stored text. If masking fails the text is
replaced, not passed through (fail closed).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from complaints.pii import mask_text

UNMASKABLE = "[log text withheld: the PII mask failed on it]"
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_DONE = "_voc_pii_masked"


# Timings printed at full float precision ("succeeded in 0.123456789s", Celery) read to the
# mask as long digit runs; four decimals say as much and are never an identifier.
_LONG_DECIMAL = re.compile(r"(?<![\d.])(\d{1,4}\.\d{4})\d+(?![\d.])")


def _mask(text: str) -> str:
    try:
        return mask_text(_LONG_DECIMAL.sub(r"\1", text))
    except Exception:  # a masker bug must not let the text through
        return UNMASKABLE


def _mask_value(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return _mask(value)
    if depth >= 4:
        return value
    if isinstance(value, dict):
        return {k: _mask_value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_mask_value(v, depth + 1) for v in value)
    return value


class MaskPIIFilter(logging.Filter):
    """Masks numbers in the record in place; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _DONE, False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: log what there is, masked
            message = f"{record.msg!s} {record.args!r}"
        record.msg, record.args = _mask(message), None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            # Formatters use the masked exc_text; one that re-formats exc_info would not.
            record.exc_info = None
        if record.exc_text:
            record.exc_text = _mask(record.exc_text)
        if record.stack_info:
            record.stack_info = _mask(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD:
                setattr(record, key, _mask_value(value))
        setattr(record, _DONE, True)
        return True


def mask_every_handler() -> int:
    """Put the PII mask on every writing handler in this process, including those a library
    installs on its own loggers at import (torch does: torch._logging attaches stream handlers
    to ``torch.*``). Called after such imports; idempotent. Returns how many were added."""
    added = 0
    loggers = [logging.getLogger()] + [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    for lg in loggers:
        for handler in lg.handlers:
            if isinstance(handler, logging.NullHandler) or type(handler).__module__.startswith("_pytest"):
                continue
            if not any(isinstance(f, MaskPIIFilter) for f in handler.filters):
                handler.addFilter(MaskPIIFilter())
                added += 1
    return added
