"""Reading one e-mail as the complaint desk needs it: pure (no Django), so every edge is tested fast.

``parse_message(raw)`` gives the sender, subject, plain-text body (HTML converted to text),
attachments, threading headers and whether the message is a bounce or an auto-reply. A message
the desk cannot read raises ``MailRefused`` with the SMTP status the server answers: no From
address, or a part in a charset that does not decode. Nothing here guesses silently: a declared
charset must decode strictly (GB2312 and GBK are read as GB18030, their superset, since mail
labelled GB2312 routinely carries GBK characters); an unknown or wrong label is tried as UTF-8
only, which is self-checking; undeclared 8-bit text is tried as UTF-8, then GB18030.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.message
import email.policy
import email.utils
import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import PurePosixPath, PureWindowsPath

REFERENCE_RE = re.compile(r"VOC-\d{4}-\d{7,}")
_MSGID_RE = re.compile(r"<[^<>\s]+>")
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "euc-cn": "gb18030"}
_AUTO_SUBJECT = re.compile(
    r"^\s*(自动回复|自動回覆|auto[- ]?reply|automatic reply|out of (the )?office|delivery status notification"
    r"|undeliverable|undelivered mail|退信|系统退信)",
    re.IGNORECASE,
)
_DAEMONS = {"mailer-daemon", "postmaster", "mail-daemon", "noreply-dmarc-support"}


class MailRefused(Exception):
    """The message cannot be taken; ``status`` is the SMTP reply the server gives."""

    def __init__(self, status: str):
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class ParsedMail:
    message_id: str  # "<...>" as sent, or "" when the message has none
    sender_name: str
    sender_address: str  # lower-cased
    subject: str
    body: str
    attachments: list[Attachment]
    in_reply_to: list[str]
    references: list[str]
    sent_at: datetime | None
    auto_reason: str = ""  # why this is a bounce/auto-reply ("" for a person's mail)
    body_was_html: bool = False
    fingerprint: str = field(default="")  # the de-duplication key: Message-ID, else the bytes' hash

    @property
    def case_references(self) -> list[str]:
        """Case references named in the subject (VOC-2026-0000123), in order, once each."""
        return list(dict.fromkeys(REFERENCE_RE.findall(self.subject)))

    @property
    def thread_ids(self) -> list[str]:
        return list(dict.fromkeys([*self.in_reply_to, *self.references]))


# --- charsets -------------------------------------------------------------------------------------


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip('"').lower()
    return _SUPERSETS.get(label, label)


def decode_bytes(data: bytes, charset: str | None, *, where: str) -> str:
    """Text of ``data`` in ``charset`` (strict), as the module docstring says, else MailRefused."""
    codec = _codec(charset)
    tries = ["ascii", "utf-8", "gb18030"] if codec in (None, "us-ascii", "ascii") else [codec, "utf-8"]
    for name in tries:
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    raise MailRefused(f"554 5.6.0 Cannot decode the {where} (charset {charset or 'undeclared'})")


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")


def _word_bytes(encoding: str, data: str) -> bytes:
    try:
        if encoding in "bB":
            return base64.b64decode(data + "=" * (-len(data) % 4))
        return binascii.a2b_qp(data.replace("_", " ").encode("ascii"), header=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise MailRefused("554 5.6.0 Cannot decode the header (malformed encoded word)") from None


def _raw_bytes(text: str) -> bytes:
    """Header text as the bytes received (the parser keeps 8-bit bytes as surrogates)."""
    try:
        return text.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape")


def _raw_header(msg, name: str) -> str | None:
    """A header's value as received, 8-bit bytes decoded (UTF-8, else GB18030): the compat32
    parser would hand back a Header of replacement characters for them."""
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            value = str(value)
            if any("\udc80" <= ch <= "\udcff" for ch in value):
                value = decode_bytes(value.encode("ascii", "surrogateescape"), None, where="header")
            return value
    return None


def decode_header(value) -> str:
    """An unfolded header in words: RFC 2047 encoded words in their charset (GB2312 as GB18030;
    adjacent words of one charset joined before decoding, as mailers split a character across
    them), raw 8-bit text (UTF-8 or GB18030) as found in the wild."""
    if value is None:
        return ""
    text = str(value)
    chunks: list[tuple[bytes, str | None]] = []  # (bytes, charset); None: raw text
    pos, previous_word = 0, False
    for m in _ENCODED_WORD.finditer(text):
        between = text[pos : m.start()]
        charset = m[1].split("*")[0]  # RFC 2231 language suffix
        data = _word_bytes(m[2], m[3])
        if previous_word and not between.strip():  # whitespace between encoded words is not text
            if chunks and chunks[-1][1] == charset:
                chunks[-1] = (chunks[-1][0] + data, charset)
                pos = m.end()
                continue
        elif between:
            chunks.append((_raw_bytes(between), None))
        chunks.append((data, charset))
        pos, previous_word = m.end(), True
    if text[pos:]:
        chunks.append((_raw_bytes(text[pos:]), None))
    decoded = "".join(decode_bytes(data, charset, where="header") for data, charset in chunks)
    return " ".join(decoded.replace("\r", " ").replace("\n", " ").split())


# --- HTML to text ---------------------------------------------------------------------------------

_BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "hr"}
_SKIP = {"script", "style", "head", "title", "noscript", "template"}


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n- " if tag == "li" else "\n")

    def handle_endtag(self, tag):
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS and tag != "li":  # the next item starts its own line
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The words of an HTML body: scripts, styles and tags dropped, blocks on their own lines.
    The result is plain text; pages escape it like any other text."""
    parser = _TextOnly()
    parser.feed(markup)
    parser.close()
    lines = [" ".join(line.split()) for line in html.unescape("".join(parser.parts)).splitlines()]
    return _squeeze(lines)


def _squeeze(lines: list[str]) -> str:
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


# --- the message ----------------------------------------------------------------------------------


def _filename(part) -> str:
    probe = email.message.Message()  # the part's headers with 8-bit names decoded, to read params
    for header in ("Content-Disposition", "Content-Type"):
        raw = _raw_header(part, header)
        if raw is not None:
            probe[header] = " ".join(raw.split())
    raw = probe.get_param("filename", header="content-disposition") or probe.get_param("name")
    if raw is None:
        return ""
    if isinstance(raw, tuple):  # RFC 2231: (charset, language, value)
        charset, _lang, value = raw
        data = value.encode("latin-1", "surrogateescape") if isinstance(value, str) else value
        name = decode_bytes(data, charset or "utf-8", where="attachment name")
    else:
        name = decode_header(email.utils.collapse_rfc2231_value(raw))
    return safe_filename(name)


def safe_filename(name: str) -> str:
    """The last path component, no control characters, at most 150 characters (extension kept)."""
    name = PureWindowsPath(PurePosixPath(name).name).name
    name = "".join(ch for ch in name if ch.isprintable()).strip().strip(".")
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 150 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else name[:150]
    return name or "attachment"


def _leaves(msg):
    """The message's parts that are not containers; a forwarded message (message/rfc822) is one
    leaf, not opened (its text is not this customer's words)."""
    if msg.get_content_type() == "message/rfc822" or not msg.is_multipart():
        yield msg
        return
    for sub in msg.get_payload():
        yield from _leaves(sub)


def _part_text(part, where: str) -> str:
    payload = part.get_payload(decode=True) or b""
    return decode_bytes(payload, part.get_content_charset(), where=where)


def _auto_reason(msg, sender: str, subject: str, envelope_from: str | None) -> str:
    auto = (msg.get("Auto-Submitted") or "").strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    if msg.get_content_type() == "multipart/report":
        return "delivery report"
    if envelope_from is not None and envelope_from.strip("<> ") == "":
        return "null sender (bounce)"
    if sender.split("@")[0] in _DAEMONS:
        return f"sent by {sender.split('@')[0]}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response"):
        if msg.get(name):
            return name
    precedence = (msg.get("Precedence") or "").strip().lower()
    if precedence in {"bulk", "junk", "auto_reply"}:
        return f"Precedence: {precedence}"
    if _AUTO_SUBJECT.match(subject):
        return "auto-reply subject"
    return ""


_NO_REPLY = re.compile(r"(no|do[-_.]?not)[-_.]?reply|bounces?|notifications?", re.I)


def no_reply_reason(address: str) -> str:
    """Why we must not write to ``address`` ("" when we may): a mail system's own mailbox or a
    no-reply sender, which never reads an answer and may bounce or auto-reply to it (a loop)."""
    local = address.partition("@")[0].lower()
    if not local or "@" not in address:
        return "no address to write to"
    if local in _DAEMONS:
        return f"{local} does not read mail"
    if _NO_REPLY.search(local):
        return "a no-reply sender"
    return ""


def _msgids(value) -> list[str]:
    return _MSGID_RE.findall(str(value or ""))


def parse_message(raw: bytes, *, envelope_from: str | None = None) -> ParsedMail:
    """One RFC 5322 message (bytes as received) as the desk reads it; MailRefused if it cannot."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    from_value = decode_header(_raw_header(msg, "From"))
    addresses = [(n, a) for n, a in email.utils.getaddresses([from_value]) if "@" in a]
    if not addresses:
        raise MailRefused("550 5.6.0 The message has no From address")
    sender_name, sender_address = addresses[0]
    sender_address = sender_address.strip().lower()
    subject = decode_header(_raw_header(msg, "Subject"))
    plain: list[str] = []
    htmls: list[str] = []
    attachments: list[Attachment] = []
    for part in _leaves(msg):
        ctype = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        name = _filename(part)
        if disposition == "attachment" or name or ctype not in ("text/plain", "text/html"):
            if ctype == "message/rfc822":  # a forwarded message: kept whole, as sent
                content = (
                    part.get_payload(0).as_bytes() if part.is_multipart() else (part.get_payload(decode=True) or b"")
                )
                name = name or "message.eml"
            else:
                content = part.get_payload(decode=True) or b""
            attachments.append(Attachment(filename=name or "attachment", content_type=ctype, content=content))
        elif ctype == "text/plain":
            plain.append(_part_text(part, "message body"))
        else:
            htmls.append(_part_text(part, "message body"))
    body_was_html = not any(t.strip() for t in plain) and bool(htmls)
    if body_was_html:
        body = "\n\n".join(html_to_text(h) for h in htmls)
    else:
        body = _squeeze([line.rstrip() for line in "\n\n".join(plain).replace("\r\n", "\n").split("\n")])
    message_id = (_msgids(msg.get("Message-ID")) or [""])[0]
    try:
        sent_at = email.utils.parsedate_to_datetime(msg["Date"]) if msg.get("Date") else None
    except (TypeError, ValueError, IndexError):
        sent_at = None
    if sent_at is not None and sent_at.tzinfo is None:
        sent_at = None  # a date without a zone says nothing certain
    fingerprint = "mid:" + message_id if message_id else "sha256:" + hashlib.sha256(raw).hexdigest()
    return ParsedMail(
        message_id=message_id,
        sender_name=sender_name.strip(),
        sender_address=sender_address,
        subject=subject,
        body=body,
        attachments=attachments,
        in_reply_to=_msgids(msg.get("In-Reply-To")),
        references=_msgids(msg.get("References")),
        sent_at=sent_at,
        auto_reason=_auto_reason(msg, sender_address, subject, envelope_from),
        body_was_html=body_was_html,
        fingerprint=fingerprint[:255],
    )


# --- attachment types -----------------------------------------------------------------------------

# extension -> kind; a file is taken when its bytes are of the kind its name says
ALLOWED_EXTENSIONS = {
    "pdf": "pdf",
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "png": "png",
    "gif": "gif",
    "txt": "text",
    "csv": "text",
    "docx": "zip",
    "xlsx": "zip",
    "doc": "ole",
    "xls": "ole",
    "wav": "wav",
    "mp3": "mp3",
    "m4a": "mp4",
    "amr": "amr",
    "eml": "text",
}


def sniff(content: bytes) -> str:
    """The kind of file the bytes are (by their first bytes), or "" when unknown."""
    head = content[:16]
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "mp3"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"#!AMR"):
        return "amr"
    sample = content[:4096]
    if b"\x00" not in sample:
        for codec in ("utf-8", "gb18030"):
            try:
                sample.decode(codec)
            except UnicodeDecodeError as exc:
                if exc.start >= len(sample) - 4:  # a character cut by the sample's end
                    return "text"
                continue
            return "text"
    return ""


def attachment_refusal(filename: str, content: bytes, *, max_bytes: int) -> str:
    """Why an attachment is not stored ("" when it is): empty, over the size cap, a type the desk
    does not take, or bytes that are not what the name says (an .exe renamed .pdf)."""
    if not content:
        return "empty"
    if len(content) > max_bytes:
        return f"over {max_bytes // (1024 * 1024)} MB"
    ext = filename.rpartition(".")[2].lower() if "." in filename else ""
    want = ALLOWED_EXTENSIONS.get(ext)
    if want is None:
        return f"type .{ext} not accepted" if ext else "no file type"
    if sniff(content) != want:
        return f"content is not .{ext}"
    return ""
