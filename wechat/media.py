"""The platform's APIs we call, as pluggable clients (both need the network and an access token).

Fetching a voice message's audio by its MediaId.

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


# Sending a customer an active customer-service message (客服消息: the official account's
# ``cgi-bin/message/custom/send``, WeCom's external-contact message API) - the case reference once
# registered. ``settings.WECHAT_MESSAGE_CLIENT`` names the class, built with the channel, with
# ``send_text(user_id, text)``, raising SendUnavailable when it cannot. The default has no network.


class SendUnavailable(Exception):
    """The message could not be sent; the message says why (no secrets, no content)."""


class NoNetworkSender:
    def __init__(self, channel: str):
        self.channel = channel

    def send_text(self, user_id: str, text: str) -> None:
        raise SendUnavailable("no message client is configured (WECHAT_MESSAGE_CLIENT)")


def message_client(channel: str):
    return import_string(settings.WECHAT_MESSAGE_CLIENT)(channel)
