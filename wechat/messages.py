"""The XML of WeChat / WeCom callbacks: read safely, and write the passive reply. Pure Python.

Reading refuses what an attacker would send instead of a message: more than ``MAX_XML_BYTES``,
a DOCTYPE or entity declaration (no entity expansion, internal or external: defusedxml is not a
dependency, so such documents are refused before the parser sees them), a root other than
``<xml>``, or more elements or depth than a message has.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import escape

MAX_XML_BYTES = 64 * 1024  # a text message is at most 2,048 bytes of content; events are small too
MAX_ELEMENTS = 100
MAX_FIELD_CHARS = 8192


class BadMessage(Exception):
    """The body is not a message we read; the reason is safe to log (no content)."""


@dataclass(frozen=True)
class Envelope:
    """The outer document of a callback in safe mode: the ciphertext and whom it is for."""

    to_user: str
    encrypted: str
    agent_id: str = ""


@dataclass(frozen=True)
class Message:
    """One decrypted message (the fields of the official formats this product reads)."""

    to_user: str  # our account (gh_... / CorpID)
    from_user: str  # OpenID (official account) or UserID / external user id (WeCom)
    create_time: int
    msg_type: str  # text, voice, image, event, ...
    msg_id: str = ""
    content: str = ""
    media_id: str = ""
    audio_format: str = ""  # voice: amr, speex
    recognition: str = ""  # voice: the platform's own recognition, when switched on
    event: str = ""
    agent_id: str = ""


def _fields(body: bytes) -> dict[str, str]:
    if not body or not body.strip():
        raise BadMessage("empty body")
    if len(body) > MAX_XML_BYTES:
        raise BadMessage(f"larger than {MAX_XML_BYTES} bytes")
    upper = body.upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
        raise BadMessage("DOCTYPE or entity declarations are not accepted")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise BadMessage(f"not well-formed XML ({exc.code})") from None
    if root.tag != "xml":
        raise BadMessage("root element is not <xml>")
    elements = list(root.iter())
    if len(elements) > MAX_ELEMENTS:
        raise BadMessage("too many elements")
    found: dict[str, str] = {}
    for child in root:
        if len(child):  # nested blocks (e.g. a video's <Video>): keep their leaves by name
            for leaf in child:
                found.setdefault(leaf.tag, (leaf.text or "").strip())
            continue
        text = (child.text or "").strip()
        if len(text) > MAX_FIELD_CHARS:
            raise BadMessage(f"field {child.tag[:40]} too long")
        found[child.tag] = text
    return found


def parse_envelope(body: bytes) -> Envelope:
    fields = _fields(body)
    encrypted = fields.get("Encrypt", "")
    if not encrypted:
        raise BadMessage("no <Encrypt> element (only safe mode is accepted)")
    return Envelope(to_user=fields.get("ToUserName", ""), encrypted=encrypted, agent_id=fields.get("AgentID", ""))


def parse_message(body: bytes) -> Message:
    fields = _fields(body)
    from_user, msg_type = fields.get("FromUserName", ""), fields.get("MsgType", "").lower()
    if not from_user or not msg_type:
        raise BadMessage("no FromUserName or MsgType")
    try:
        created = int(fields.get("CreateTime", "") or 0)
    except ValueError:
        raise BadMessage("CreateTime is not a number") from None
    return Message(
        to_user=fields.get("ToUserName", ""),
        from_user=from_user,
        create_time=created,
        msg_type=msg_type,
        msg_id=fields.get("MsgId", ""),
        content=fields.get("Content", ""),
        media_id=fields.get("MediaId", ""),
        audio_format=fields.get("Format", "").lower(),
        recognition=fields.get("Recognition", ""),
        event=fields.get("Event", ""),
        agent_id=fields.get("AgentID", ""),
    )


def _cdata(value: str) -> str:
    # "]]>" cannot appear inside CDATA: split it across two sections
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(*, to_user: str, from_user: str, content: str, now: int | None = None) -> bytes:
    """A passive text reply to ``to_user`` (the customer) from ``from_user`` (our account)."""
    created = int(time.time()) if now is None else now
    return (
        f"<xml><ToUserName>{_cdata(to_user)}</ToUserName><FromUserName>{_cdata(from_user)}</FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(content)}</Content></xml>"
    ).encode()


def encrypted_reply(*, encrypted: str, signature: str, timestamp: str, nonce: str) -> bytes:
    """The safe-mode envelope of a passive reply."""
    return (
        f"<xml><Encrypt>{_cdata(encrypted)}</Encrypt><MsgSignature>{_cdata(signature)}</MsgSignature>"
        f"<TimeStamp>{escape(timestamp)}</TimeStamp><Nonce>{_cdata(nonce)}</Nonce></xml>"
    ).encode()
