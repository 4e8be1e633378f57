"""Integrations fixtures: the workflow's staff and cases, and a live webhook receiver."""

from __future__ import annotations

import pytest

from integrations import services
from integrations.models import EventType
from tests.integrations.receiver import Receiver, start
from tests.workflow.conftest import new_case, staff  # noqa: F401 (fixtures)


@pytest.fixture
def receiver():
    r = Receiver()
    server, thread = start(r)
    yield r
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def endpoint(receiver, settings):
    """An endpoint for every event type of every org, posting to the live receiver."""
    settings.INTEGRATIONS_ALLOW_PRIVATE_URLS = True
    settings.INTEGRATIONS_REQUIRE_HTTPS = False
    ep, secret = services.endpoint_create(name="CRM", url=receiver.url, event_types=list(EventType.values))
    receiver.secret = secret
    return ep
