"""Fetching a voice message's audio by its MediaId: a pluggable client.

The platform sends only a MediaId; the audio is fetched from its media API (official account
``cgi-bin/media/get``, WeCom ``cgi-bin/media/get``), which needs network access and an access
token. ``settings.WECHAT_MEDIA_CLIENT`` names the class (dotted path); it is built with the
channel ("official" or "wecom") and has ``fetch(media_id) -> bytes``. The default client has no
network and refuses, so a voice message stays a draft with the reason until a client is set.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string


class MediaUnavailable(Exception):
    """The audio could not be fetched; the message says why (no secrets, no content)."""


class NoNetworkClient:
    def __init__(self, channel: str):
        self.channel = channel

    def fetch(self, media_id: str) -> bytes:
        raise MediaUnavailable("no media client is configured (WECHAT_MEDIA_CLIENT)")


def media_client(channel: str):
    return import_string(settings.WECHAT_MEDIA_CLIENT)(channel)
