"""OpenAPI: the API-key scheme (drf-spectacular extension, loaded in IntegrationsConfig.ready)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "integrations.auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "An integration client's key: `Api-Key voc_<prefix>_<secret>` (docs/webhooks.md).",
        }
