"""Opaque keyset cursors for lists ordered by (received_at desc, id desc). Pure."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext


@dataclass(frozen=True)
class Cursor:
    received_at: dt.datetime
    id: int


def encode(cursor: Cursor) -> str:
    raw = f"{cursor.received_at.isoformat()}|{cursor.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str | None) -> Cursor | None:
    """The cursor in ``token``; None for an empty token. ValueError for a malformed one."""
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        stamp, _, pk = raw.partition("|")
        received = dt.datetime.fromisoformat(stamp)
        if received.tzinfo is None:
            raise ValueError("naive timestamp")
        return Cursor(received, int(pk))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError(gettext("无效的翻页游标")) from exc


# --- other orders of the list (complaints.list_selectors.SORTS) ----------------------------------
# A token names its order ("due|2026-12-01|42"), so a cursor from one order is refused by another.


@dataclass(frozen=True)
class KeyCursor:
    value: dt.date | dt.datetime | None  # the row's sort key (None: a case without one, e.g. no deadline)
    id: int


def encode_key(sort: str, value: dt.date | dt.datetime | None, pk: int) -> str:
    raw = f"{sort}|{value.isoformat() if value is not None else ''}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_key(token: str | None, sort: str, *, kind: type) -> KeyCursor | None:
    """The cursor of order ``sort`` in ``token`` (``kind``: dt.date or dt.datetime); None for
    an empty token; ValueError for a malformed one or one made for another order."""
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        name, stamp, pk = raw.split("|")
        if name != sort:
            raise ValueError("another order's cursor")
        value = None
        if stamp:
            value = dt.datetime.fromisoformat(stamp) if kind is dt.datetime else dt.date.fromisoformat(stamp)
            if kind is dt.datetime and value.tzinfo is None:
                raise ValueError("naive timestamp")
        return KeyCursor(value, int(pk))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError(gettext("无效的翻页游标")) from exc
