"""Encryption of full phone/ID numbers for the few roles allowed to see them.

Key from ``settings.PII_ENCRYPTION_KEY`` (any string; a Fernet key is derived from it
with SHA-256). Kept apart from SECRET_KEY and PII_HASH_KEY so each can rotate alone.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()))


def encrypt(value: str) -> str:
    if not value:
        return ""
    return _fernet(settings.PII_ENCRYPTION_KEY).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """The clear value, or "" if there is none or the key no longer opens it."""
    if not token:
        return ""
    try:
        return _fernet(settings.PII_ENCRYPTION_KEY).decrypt(token.encode()).decode()
    except InvalidToken:
        return ""
