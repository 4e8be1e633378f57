"""The customer key under the PII keys, for ``manage.py pii_rekey`` (contributes to
``complaints.services.keys``): the platform id's Fernet ciphertext, and its keyed hash, which is
taken over the channel and the AppID/CorpID with the id (``services.user_key``)."""

from __future__ import annotations

from complaints.services.keys import KeyedField, KeyedModel

from .models import WeChatMessage
from .selectors import platform
from .services import user_key


def _user_hash(row: WeChatMessage, clear: str) -> str:
    return user_key(row.channel, platform(row.channel).crypt.receive_id, clear)


def keyed_fields() -> list[KeyedModel]:
    return [
        KeyedModel(WeChatMessage, (KeyedField("user_encrypted", "user_hash", hash_of=_user_hash, reads=("channel",)),))
    ]
