"""The platforms' callback URLs (anonymous, signature-checked): the URL check (GET) and
messages (POST) in safe mode. Every refusal is a 4xx with a short reason and a log line,
never a 500: the platform retries a failed delivery, and an attacker learns nothing more."""

from __future__ import annotations

import logging
import secrets
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from . import selectors, services
from .crypto import CryptoError, signature_ok
from .messages import MAX_XML_BYTES, BadMessage, encrypted_reply, parse_envelope, parse_message, text_reply
from .models import WeChatMessage

logger = logging.getLogger(__name__)


def _refuse(status: int, channel: str, reason: str) -> HttpResponse:
    logger.warning("wechat %s callback refused (%s): %s", channel, status, reason)
    return HttpResponse(reason, status=status, content_type="text/plain; charset=utf-8")


def _fresh(timestamp: str) -> bool:
    """Within the replay window of our clock (a captured request cannot be replayed later)."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    return abs(time.time() - sent) <= settings.WECHAT_REPLAY_WINDOW_S


def _handle(request: HttpRequest, channel: str) -> HttpResponse:
    platform = selectors.platform(channel)
    if not platform.configured:
        return _refuse(404, channel, "channel not configured")
    crypt = platform.crypt
    q = request.GET
    timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
    if not timestamp or not nonce:
        return _refuse(400, channel, "timestamp and nonce are required")
    if not _fresh(timestamp):
        return _refuse(403, channel, "timestamp outside the replay window")
    if request.method == "GET":
        return _verify_url(channel, crypt, q, timestamp, nonce)
    if request.method != "POST":
        return _refuse(405, channel, "GET or POST only")
    msg_signature = q.get("msg_signature", "")
    if not msg_signature:
        return _refuse(403, channel, "msg_signature is required (safe mode only)")
    body = request.body
    if len(body) > MAX_XML_BYTES:
        return _refuse(413, channel, "body too large")
    try:
        envelope = parse_envelope(body)
        plain = crypt.verify(msg_signature, timestamp, nonce, envelope.encrypted)
        message = parse_message(plain)
    except CryptoError as exc:
        return _refuse(403 if exc.code == -40001 else 400, channel, exc.reason)
    except BadMessage as exc:
        return _refuse(400, channel, str(exc))
    received = services.message_receive(channel=channel, message=message, agent_id=envelope.agent_id)
    if not received.reply:
        return HttpResponse("success", content_type="text/plain")  # the platform's "nothing to say"
    reply = text_reply(to_user=message.from_user, from_user=message.to_user, content=received.reply)
    encrypted = crypt.encrypt(reply)
    reply_ts, reply_nonce = str(int(time.time())), secrets.token_hex(8)
    return HttpResponse(
        encrypted_reply(
            encrypted=encrypted,
            signature=crypt.sign(reply_ts, reply_nonce, encrypted),
            timestamp=reply_ts,
            nonce=reply_nonce,
        ),
        content_type="application/xml; charset=utf-8",
    )


def _verify_url(channel, crypt, q, timestamp: str, nonce: str) -> HttpResponse:
    echostr = q.get("echostr", "")
    if not echostr:
        return _refuse(400, channel, "echostr is required")
    if channel == WeChatMessage.Channel.OFFICIAL and "msg_signature" not in q:
        # the official account signs the URL check over token, timestamp and nonce only
        if not signature_ok(q.get("signature", ""), crypt.token, timestamp, nonce):
            return _refuse(403, channel, "signature does not match")
        return HttpResponse(echostr, content_type="text/plain")
    try:
        plain = crypt.verify(q.get("msg_signature", ""), timestamp, nonce, echostr)
    except CryptoError as exc:
        return _refuse(403 if exc.code == -40001 else 400, channel, exc.reason)
    return HttpResponse(plain, content_type="text/plain")


@csrf_exempt
def official_callback(request: HttpRequest) -> HttpResponse:
    return _handle(request, WeChatMessage.Channel.OFFICIAL)


@csrf_exempt
def wecom_callback(request: HttpRequest) -> HttpResponse:
    return _handle(request, WeChatMessage.Channel.WECOM)
