"""Rate limit per integration client (DRF throttling, scope ``integration``): each client's own
``rate`` ("600/min"), counted per client whatever key or address it calls from. Requests not
authenticated by an API key are not counted here."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from .models import IntegrationClient

DEFAULT_RATE = "600/min"


class IntegrationClientRateThrottle(SimpleRateThrottle):
    scope = "integration"

    def __init__(self) -> None:  # the rate is the client's, read per request
        pass

    def allow_request(self, request, view) -> bool:
        client = request.auth
        if not isinstance(client, IntegrationClient):
            return True
        self.rate = client.rate
        try:
            self.num_requests, self.duration = self.parse_rate(self.rate)
        except (ValueError, KeyError, IndexError, AttributeError):  # a rate set outside the admin's check
            self.rate = DEFAULT_RATE
            self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
