"""Every write of the integrations app (re-exported here: ``from integrations import services``)."""

from .clients import api_key_create, api_key_revoke, api_key_touch, integration_client_create
from .delivery import (
    SendResult,
    deliveries_send_due,
    delivery_attempt,
    delivery_claim,
    delivery_post,
    delivery_record,
    outbox_prune,
)
from .endpoints import endpoint_create, endpoint_rotate_secret

__all__ = [
    "SendResult",
    "api_key_create",
    "api_key_revoke",
    "api_key_touch",
    "deliveries_send_due",
    "delivery_attempt",
    "delivery_claim",
    "delivery_post",
    "delivery_record",
    "endpoint_create",
    "endpoint_rotate_secret",
    "integration_client_create",
    "outbox_prune",
]
