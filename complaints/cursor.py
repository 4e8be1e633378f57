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
