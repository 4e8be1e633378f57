"""Raw messages as they arrive on the wire, built by hand (so the bytes are exactly the case under
test, not what Python's email package would have written)."""

from __future__ import annotations

import base64


def b64word(text: str, charset: str) -> str:
    """An RFC 2047 encoded word (B encoding)."""
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def raw_mail(
    *,
    subject: str = "信用卡年费投诉",
    body: str = "我的信用卡未开卡就被收了年费，请退还。",
    sender: str = "张伟 <zhang.wei@example.com>",
    message_id: str | None = "<m1@example.com>",
    headers: str = "",
    charset: str = "utf-8",
) -> bytes:
    lines = []
    if sender:
        lines.append(f"From: {sender}")
    lines += ["To: complaints@bank.example", f"Subject: {subject}", "Date: Mon, 07 Dec 2026 09:30:00 +0800"]
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    if headers:
        lines += headers.strip().splitlines()
    lines += [
        "MIME-Version: 1.0",
        f"Content-Type: text/plain; charset={charset}",
        "Content-Transfer-Encoding: base64",
        "",
        base64.encodebytes(body.encode(BODY_CODEC.get(charset, charset))).decode(),
    ]
    return _crlf("\n".join(lines)).encode("utf-8")  # 8-bit headers, as SMTPUTF8 mailers send them


# the bytes a sender's label does not match: GB2312-labelled text written in GBK, as mailers do
BODY_CODEC = {"gb2312": "gbk", "x-bogus": "utf-8"}


def _crlf(text: str) -> str:
    """Every line ended by CRLF, as on the wire (base64 blocks come with bare LF)."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def multipart_mail(*, html: str | None, plain: str | None, attachments=(), message_id="<mp@example.com>") -> bytes:
    """multipart/mixed: an alternative text/HTML body and base64 attachments
    ``(header_filename_param, content_type, bytes)``."""
    parts = []
    alt = []
    if plain is not None:
        alt.append(
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(plain.encode()).decode()
        )
    if html is not None:
        alt.append(
            "Content-Type: text/html; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(html.encode("gb18030")).decode()
        )
    parts.append(
        'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n'
        + "".join(f"--alt\r\n{p}\r\n" for p in alt)
        + "--alt--\r\n"
    )
    for param, ctype, content in attachments:
        parts.append(
            f"Content-Type: {ctype}\r\nContent-Disposition: attachment; {param}\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(content).decode()
        )
    head = (
        "From: =?utf-8?B?5p2O5aic?= <li.na@example.com>\r\nTo: complaints@bank.example\r\n"
        f"Subject: {b64word('转账失败投诉', 'utf-8')}\r\nMessage-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="mix"\r\n\r\n'
    )
    return _crlf(head + "".join(f"--mix\r\n{p}\r\n" for p in parts) + "--mix--\r\n").encode("ascii")
