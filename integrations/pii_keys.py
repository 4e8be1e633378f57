"""Values encrypted with the PII key, for ``manage.py pii_rekey`` (contributes to
``complaints.services.keys``): a webhook endpoint's signing secret and a regulator row's cells
kept until imported. Neither has a keyed hash (an API key's ``key_hash`` is a plain SHA-256 of a
random key, under no PII key)."""

from __future__ import annotations

from complaints.services.keys import KeyedField, KeyedModel

from .models import RegulatorRow, WebhookEndpoint


def keyed_fields() -> list[KeyedModel]:
    return [
        KeyedModel(WebhookEndpoint, (KeyedField("secret_encrypted"),)),
        KeyedModel(RegulatorRow, (KeyedField("data_encrypted"),)),
    ]
