"""The published WeChat / WeCom message-encryption scheme (WXBizMsgCrypt), pure Python.

- Signature: SHA-1 (hex) of the sorted, concatenated token, timestamp, nonce and - for messages -
  the ciphertext. The official account's plain URL check signs token/timestamp/nonce only.
- Key: ``base64decode(EncodingAESKey + "=")`` (43 characters -> 32 bytes), AES-256-CBC, IV = the
  key's first 16 bytes, PKCS#7 padding to a multiple of 32 bytes (not AES's 16).
- Plaintext: 16 random bytes, the message's length as a 4-byte big-endian integer, the message,
  then the receive id (the official account's AppID, WeCom's CorpID), which must match ours.

No Django here: ``wechat.services`` passes the configured secrets in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32  # the scheme pads to 32-byte blocks


class CryptoError(Exception):
    """A message we must not accept. ``code`` is the official error code (-40001 bad signature,
    -40004 bad key, -40005 wrong receive id, -40007 does not decrypt, -40008 bad buffer)."""

    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def signature(token: str, timestamp: str, nonce: str, encrypted: str = "") -> str:
    parts = [token, timestamp, nonce] + ([encrypted] if encrypted else [])
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def signature_ok(given: str, token: str, timestamp: str, nonce: str, encrypted: str = "") -> bool:
    expected = signature(token, timestamp, nonce, encrypted)
    return hmac.compare_digest(expected, (given or "").strip().lower())


@dataclass(frozen=True)
class MsgCrypt:
    token: str
    encoding_aes_key: str
    receive_id: str

    @property
    def key(self) -> bytes:
        if len(self.encoding_aes_key) != 43:
            raise CryptoError(-40004, "EncodingAESKey must be 43 characters")
        try:
            key = base64.b64decode(self.encoding_aes_key + "=", validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CryptoError(-40004, "EncodingAESKey is not base64") from exc
        if len(key) != 32:
            raise CryptoError(-40004, "EncodingAESKey does not give a 32-byte key")
        return key

    def _cipher(self) -> Cipher:
        key = self.key
        return Cipher(algorithms.AES(key), modes.CBC(key[:16]))

    def encrypt(self, message: bytes, *, random16: bytes | None = None) -> str:
        """Base64 ciphertext of ``message`` for our receive id (random prefix unless given)."""
        prefix = os.urandom(16) if random16 is None else random16
        if len(prefix) != 16:
            raise ValueError("the random prefix is 16 bytes")
        plain = prefix + struct.pack(">I", len(message)) + message + self.receive_id.encode()
        pad = BLOCK - len(plain) % BLOCK
        plain += bytes([pad]) * pad
        enc = self._cipher().encryptor()
        return base64.b64encode(enc.update(plain) + enc.finalize()).decode()

    def decrypt(self, encrypted: str) -> bytes:
        """The message inside ``encrypted``; CryptoError when it does not decrypt, its padding or
        length is wrong, or it was made for another receive id."""
        try:
            raw = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CryptoError(-40010, "ciphertext is not base64") from exc
        if not raw or len(raw) % 16:
            raise CryptoError(-40007, "ciphertext length is not a whole number of AES blocks")
        dec = self._cipher().decryptor()
        plain = dec.update(raw) + dec.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise CryptoError(-40007, "bad padding")
        plain = plain[:-pad]
        if len(plain) < 20:
            raise CryptoError(-40008, "plaintext too short")
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise CryptoError(-40008, "message length beyond the plaintext")
        message, receive_id = plain[20 : 20 + length], plain[20 + length :]
        if not hmac.compare_digest(receive_id, self.receive_id.encode()):
            raise CryptoError(-40005, "message made for another receive id")
        return message

    def verify(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> bytes:
        """Check the message signature over the ciphertext, then decrypt it."""
        if not signature_ok(msg_signature, self.token, timestamp, nonce, encrypted):
            raise CryptoError(-40001, "signature does not match")
        return self.decrypt(encrypted)

    def sign(self, timestamp: str, nonce: str, encrypted: str) -> str:
        return signature(self.token, timestamp, nonce, encrypted)
