"""Re-keying personal data after a key rotation (``manage.py pii_rekey``).

complaints re-keys its own customers' numbers; any other app that stores Fernet ciphertext or a
keyed hash under the PII keys contributes its fields through the extension point
``pii_keys.keyed_fields() -> list[KeyedModel]`` (``<app>/pii_keys.py``), so complaints never names
the apps above it. The point is strict: an app whose fields cannot be listed stops the run (a
value left under a key that is then retired is lost).
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import models, transaction

from accounts.models import AuditAction, User
from accounts.services import audit_record
from voc.extensions import ExtensionPoint

from .. import crypto
from ..models import Customer


@dataclass(frozen=True)
class KeyedField:
    """A field holding Fernet ciphertext and, optionally, the field with the keyed hash of
    the same clear value (recomputed from the decrypted value).

    ``hash_of(row, clear)`` is the stored hash when it is not ``crypto.keyed_hash(clear)`` (a value
    hashed with context, e.g. a WeChat id with its channel); it may read the row's ``reads``
    columns."""

    encrypted: str
    hashed: str = ""
    hash_of: Callable[[models.Model, str], str] | None = None
    reads: tuple[str, ...] = ()


@dataclass(frozen=True)
class KeyedModel:
    model: type[models.Model]
    fields: tuple[KeyedField, ...]


KEYED = ExtensionPoint("pii_keys.keyed_fields", owner="complaints", item=KeyedModel, strict=True)

# complaints' own fields; other apps contribute theirs (``keyed_models``).
# tests/complaints/test_keys.py fails when a model gains a *_encrypted or *_hash field that no one lists.
KEYED_FIELDS: dict[type[models.Model], tuple[KeyedField, ...]] = {
    Customer: (KeyedField("mobile_encrypted", "mobile_hash"), KeyedField("id_number_encrypted", "id_number_hash")),
}


def keyed_models() -> list[KeyedModel]:
    """Every model with fields under the PII keys: complaints' own, then each app's contribution."""
    return [KeyedModel(model, fields) for model, fields in KEYED_FIELDS.items()] + KEYED.collect()


@dataclass
class RekeyResult:
    rows_checked: int = 0
    rows_changed: int = 0
    values_reencrypted: int = 0
    hashes_recomputed: int = 0
    # Ciphertext that no configured key opens: left as it is (add the missing old key).
    unreadable: int = 0
    # A hash without ciphertext to recompute it from: findable only while its key is configured.
    hashes_without_value: int = 0


def _rekey_row(row: models.Model, fields: tuple[KeyedField, ...], result: RekeyResult) -> bool:
    changed = False
    for field in fields:
        token = getattr(row, field.encrypted)
        if not token:
            if field.hashed and getattr(row, field.hashed):
                result.hashes_without_value += 1
            continue
        clear = crypto.decrypt(token)
        if not clear:
            result.unreadable += 1
            continue
        if not crypto.is_current(token):
            setattr(row, field.encrypted, crypto.encrypt(clear))
            result.values_reencrypted += 1
            changed = True
        if field.hashed:
            digest = field.hash_of(row, clear) if field.hash_of else crypto.keyed_hash(clear)
            if getattr(row, field.hashed) != digest:
                setattr(row, field.hashed, digest)
                result.hashes_recomputed += 1
                changed = True
    return changed


def pii_rekey(*, batch_size: int = 500, actor: User | None = None) -> RekeyResult:
    """Re-encrypt every encrypted field with the current key and recompute every keyed hash
    with the current hash key, from the decrypted value.

    Batches of ``batch_size`` rows, each in its own transaction with the rows locked, so an
    interrupted run keeps what it did and a second run continues; a row already under the
    current keys is not written (a second run changes nothing). Values no configured key
    opens are counted and left alone. One audit event per run records the counts and the
    fingerprints of the keys now in use.
    """
    result = RekeyResult()
    for keyed in keyed_models():
        model, fields = keyed.model, keyed.fields
        columns = [name for f in fields for name in (f.encrypted, f.hashed) if name]
        reads = [name for f in fields for name in f.reads if name not in columns]
        last_pk = 0
        while True:
            with transaction.atomic(durable=True):
                rows = list(
                    model.objects.select_for_update()
                    .filter(pk__gt=last_pk)
                    .order_by("pk")
                    .only("pk", *columns, *reads)[:batch_size]
                )
                if not rows:
                    break
                changed = [row for row in rows if _rekey_row(row, fields, result)]
                if changed:
                    model.objects.bulk_update(changed, columns)
            result.rows_checked += len(rows)
            result.rows_changed += len(changed)
            last_pk = rows[-1].pk
    audit_record(
        actor=actor,
        action=AuditAction.PII_REKEY,
        **asdict(result),
        hash_key=crypto.key_fingerprint(settings.PII_HASH_KEY),
        encryption_key=crypto.key_fingerprint(settings.PII_ENCRYPTION_KEY),
        old_keys_configured=len(settings.PII_HASH_OLD_KEYS) + len(settings.PII_ENCRYPTION_OLD_KEYS),
        run_by=_os_user(),
    )
    return result


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return ""
