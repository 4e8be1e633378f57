"""The platforms' side of the wire, written independently of ``wechat.crypto`` (straight from the
published scheme, with ``cryptography`` and ``hashlib``): what WeChat / WeCom would POST, and how
they read our passive reply."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import struct
import time

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# The official samples' settings (Tencent's WXBizMsgCrypt sample code).
OA = {"token": "spamtest", "key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "appid": "wx2c2769f8efd9abc2"}
WECOM = {"token": "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo", "key": "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
         "corp": "ww1436e0e65a779aee"}  # fmt: skip
OPENID = "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
EXTERNAL_ID = "wmqfasd1e1927831291723123109r712"


def _key(key43: str) -> bytes:
    return base64.b64decode(key43 + "=")


def seal(message: bytes, key43: str, receive_id: str) -> str:
    key = _key(key43)
    body = os.urandom(16) + struct.pack("!I", len(message)) + message + receive_id.encode()
    padder = padding.PKCS7(256).padder()  # 32-byte blocks
    padded = padder.update(body) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(enc.update(padded) + enc.finalize()).decode()


def unseal(encrypted: str, key43: str) -> tuple[bytes, bytes]:
    key = _key(key43)
    dec = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = dec.update(base64.b64decode(encrypted)) + dec.finalize()
    plain = plain[: -plain[-1]]
    (n,) = struct.unpack("!I", plain[16:20])
    return plain[20 : 20 + n], plain[20 + n :]


def sha1_sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def text_xml(
    *, to: str, sender: str, content: str, msg_id: str, agent_id: str = "", created: int | None = None
) -> bytes:
    agent = f"<AgentID>{agent_id}</AgentID>" if agent_id else ""
    return (
        f"<xml><ToUserName><![CDATA[{to}]]></ToUserName><FromUserName><![CDATA[{sender}]]></FromUserName>"
        f"<CreateTime>{created or int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId>{agent}</xml>"
    ).encode()


def voice_xml(*, to: str, sender: str, media_id: str, msg_id: str, agent_id: str = "") -> bytes:
    agent = f"<AgentID>{agent_id}</AgentID>" if agent_id else ""
    return (
        f"<xml><ToUserName><![CDATA[{to}]]></ToUserName><FromUserName><![CDATA[{sender}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[voice]]></MsgType>"
        f"<MediaId><![CDATA[{media_id}]]></MediaId><Format><![CDATA[amr]]></Format>"
        f"<MsgId>{msg_id}</MsgId>{agent}</xml>"
    ).encode()


class Platform:
    """Posts like the platform: the inner XML sealed for ``receive_id`` and signed with ``token``."""

    def __init__(self, client, url: str, token: str, key: str, receive_id: str):
        self.client, self.url, self.token, self.key, self.receive_id = client, url, token, key, receive_id

    def post(self, inner: bytes, *, timestamp: str | None = None, nonce: str = "1320562132", sign_with: str = "",
             receive_id: str = "", agent_id: str = "", envelope: bytes | None = None):  # fmt: skip
        timestamp = timestamp or str(int(time.time()))
        encrypted = seal(inner, self.key, receive_id or self.receive_id)
        signature = sha1_sign(sign_with or self.token, timestamp, nonce, encrypted)
        agent = f"<AgentID><![CDATA[{agent_id}]]></AgentID>" if agent_id else ""
        body = (
            envelope
            or (
                f"<xml><ToUserName><![CDATA[{self.receive_id}]]></ToUserName>"
                f"<Encrypt><![CDATA[{encrypted}]]></Encrypt>{agent}</xml>"
            ).encode()
        )
        query = f"?msg_signature={signature}&timestamp={timestamp}&nonce={nonce}&encrypt_type=aes"
        return self.client.post(self.url + query, body, content_type="text/xml")

    def read_reply(self, resp) -> str:
        """The reply's inner XML after checking its signature as the platform does."""
        xml = resp.content.decode()
        encrypted = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]></Encrypt>", xml).group(1)
        signature = re.search(r"<MsgSignature><!\[CDATA\[(.*?)\]\]>", xml).group(1)
        timestamp = re.search(r"<TimeStamp>(\d+)</TimeStamp>", xml).group(1)
        nonce = re.search(r"<Nonce><!\[CDATA\[(.*?)\]\]>", xml).group(1)
        assert signature == sha1_sign(self.token, timestamp, nonce, encrypted), "reply signature"
        inner, receive_id = unseal(encrypted, self.key)
        assert receive_id.decode() == self.receive_id
        return inner.decode()
