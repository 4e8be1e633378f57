"""Keys for personal data: encryption of full phone/ID numbers, keyed hashes for lookup.

Encryption: ``settings.PII_ENCRYPTION_KEY`` (any string; a Fernet key is derived from it
with SHA-256) encrypts; it and ``PII_ENCRYPTION_OLD_KEYS`` decrypt (MultiFernet), so a key
can be rotated without losing data. Keyed hashes: ``PII_HASH_KEY`` computes them;
lookups also accept hashes under ``PII_HASH_OLD_KEYS`` until ``manage.py pii_rekey`` has
recomputed every stored hash. Kept apart from SECRET_KEY and from each other so each
can rotate alone. The production check (``complaints.checks``) refuses missing keys.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from . import pii

# The built-in development values: fine on a laptop, refused in production.
DEV_PII_HASH_KEY = "dev-only-pii-hash-key"
DEV_PII_ENCRYPTION_KEY = "dev-only-pii-encryption-key"
_SEARCH_PREFIX = "list-search-token:"


@lru_cache(maxsize=16)
def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()))


def _current() -> Fernet:
    return _fernet(settings.PII_ENCRYPTION_KEY)


def _all_keys() -> MultiFernet:
    """Current key first (it encrypts), then the old ones (they only decrypt)."""
    keys = [settings.PII_ENCRYPTION_KEY, *settings.PII_ENCRYPTION_OLD_KEYS]
    return MultiFernet([_fernet(k) for k in dict.fromkeys(keys) if k])


def encrypt(value: str) -> str:
    if not value:
        return ""
    return _current().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """The clear value, or "" if there is none or no configured key opens it."""
    if not token:
        return ""
    try:
        return _all_keys().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


def is_current(token: str) -> bool:
    """True if the current key alone opens ``token`` (nothing to re-encrypt)."""
    try:
        _current().decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def search_token(number: str) -> str:
    """An opaque, expiring stand-in for a phone/ID number in a URL (the list search).

    Encrypted (not merely signed) under the PII encryption key with its own prefix, so
    the URL, access log and browser history carry no number and no stable identifier."""
    return _fernet(_SEARCH_PREFIX + settings.PII_ENCRYPTION_KEY).encrypt(number.encode()).decode()


def search_token_value(token: str, *, max_age: int) -> str | None:
    """The number behind :func:`search_token`, or None if it is forged or older than ``max_age`` s."""
    keys = [settings.PII_ENCRYPTION_KEY, *settings.PII_ENCRYPTION_OLD_KEYS]
    fernets = MultiFernet([_fernet(_SEARCH_PREFIX + k) for k in dict.fromkeys(keys) if k])
    try:
        return fernets.decrypt(token.encode(), ttl=max_age).decode()
    except (InvalidToken, UnicodeError):
        return None


def keyed_hash(value: str) -> str:
    """The keyed hash of ``value`` under the current key (what is stored)."""
    return pii.keyed_hash(value, settings.PII_HASH_KEY)


def keyed_hash_candidates(value: str) -> list[str]:
    """Hashes of ``value`` under the current and the old keys: a stored hash matching any
    of them is the same number (during a rotation, before ``pii_rekey`` has run)."""
    keys = dict.fromkeys([settings.PII_HASH_KEY, *settings.PII_HASH_OLD_KEYS])
    return [pii.keyed_hash(value, k) for k in keys if k]


def key_fingerprint(key: str) -> str:
    """A short, non-reversible name for a key, for logs and the audit trail."""
    return hmac.new(key.encode(), b"voc-pii-key-fingerprint", hashlib.sha256).hexdigest()[:12]
