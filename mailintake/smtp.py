"""The SMTP front door (aiosmtpd): refuse what the desk cannot take at the earliest step, and
hand each accepted message to ``services.mail_receive``. The reply is sent after the service
has committed, so a 250 means the message is stored; any failure answers a 4xx and the
sending server keeps the message and retries (a retry of a stored message is a duplicate,
kept once).

Refusals: a recipient not on the allow-list (550 5.1.1 at RCPT), a message over the size cap
(552, by aiosmtpd's ``data_size_limit``, also on a too-large ``SIZE=`` at MAIL FROM), no From
address (550 5.6.0), a charset that does not decode (554 5.6.0).
"""

from __future__ import annotations

import asyncio
import logging

from django.db import connections

from .parsing import MailRefused

logger = logging.getLogger(__name__)


class IntakeHandler:
    """aiosmtpd handler; the service runs in a worker thread (the ORM is synchronous)."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        from .selectors import recipient_allowed

        if not recipient_allowed(address):  # settings only, no query
            return "550 5.1.1 Recipient not accepted here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            outcome = await asyncio.get_running_loop().run_in_executor(
                None, _in_thread, _receive, raw, envelope.rcpt_tos[0], envelope.mail_from or ""
            )
        except MailRefused as refused:
            logger.info("mail from %s refused: %s", envelope.mail_from, refused.status)
            return refused.status
        except Exception:
            logger.exception("mail from %s could not be stored", envelope.mail_from)
            return "451 4.3.0 Temporary failure, please retry later"
        logger.info("mail from %s: %s", envelope.mail_from, outcome)
        return "250 2.0.0 Message accepted"


def _receive(raw: bytes, recipient: str, envelope_from: str) -> str:
    from .services import mail_receive

    received = mail_receive(raw=raw, recipient=recipient, envelope_from=envelope_from)
    return f"{received.outcome} {received.mail.pk}"


def _in_thread(fn, *args):
    # A worker thread of the event loop: its database connection is its own, closed after each
    # message (mail is rare; a connection left open in a pool thread would outlive the server).
    try:
        return fn(*args)
    finally:
        connections.close_all()


def controller(*, host: str, port: int, size_limit: int):
    """An aiosmtpd Controller (started by the caller) bound to ``host:port``."""
    from aiosmtpd.controller import Controller

    return Controller(
        IntakeHandler(),
        hostname=host,
        port=port,
        data_size_limit=size_limit,
        decode_data=False,
        enable_SMTPUTF8=True,
        ident="VOC mail intake",
    )
