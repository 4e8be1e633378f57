"""DRF authentication by API key: ``Authorization: Api-Key voc_<prefix>_<secret>`` (or ``Bearer``
with a key of that form). ``request.user`` is the client's service user, so scoping and
permissions follow its org and roles like any user's; ``request.auth`` is the
``IntegrationClient`` (``request.auth.allows(action)``)."""

from __future__ import annotations

import hmac

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .models import ApiKey
from .services.clients import KEY_PREFIX, api_key_touch, key_hash

KEYWORDS = (b"api-key", b"bearer")


def api_key_lookup(raw: str) -> ApiKey | None:
    """The key row ``raw`` belongs to (compared in constant time), or None."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    key = ApiKey.objects.select_related("client__service_user__org").filter(prefix=parts[1]).first()
    if key is None or not hmac.compare_digest(key.key_hash, key_hash(raw)):
        return None
    return key


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if len(header) != 2 or header[0].lower() not in KEYWORDS:
            return None
        try:
            raw = header[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("API 密钥无效")) from None
        if header[0].lower() == b"bearer" and not raw.startswith(KEY_PREFIX + "_"):
            return None  # someone else's bearer token: not ours to judge
        key = api_key_lookup(raw)
        if key is None or key.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("API 密钥无效或已吊销"))
        client = key.client
        if not client.is_active or not client.service_user.is_active:
            raise exceptions.AuthenticationFailed(_("该对接系统已停用"))
        api_key_touch(key)
        client.api_key = key
        return client.service_user, client

    def authenticate_header(self, request) -> str | None:
        """The challenge of a 401. DRF asks the first class in DEFAULT_AUTHENTICATION_CLASSES only,
        so this class is first: a request that presented credentials and failed (a bad or revoked
        key, an unknown DRF token) gets 401 with the scheme it used; a request with none (a browser
        whose session ended) keeps the 403 it had when the session class was first."""
        header = authentication.get_authorization_header(request).split()
        if not header:
            return None
        return "Token" if header[0].lower() == b"token" else "Api-Key"
