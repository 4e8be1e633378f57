"""Run the SMTP listener that takes complaint mail (docs/email-intake.md)."""

from __future__ import annotations

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from mailintake.selectors import recipients
from mailintake.smtp import controller


class Command(BaseCommand):
    help = "Listen for complaint e-mail over SMTP (aiosmtpd) until stopped (SIGTERM or Ctrl-C)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.MAIL_INTAKE_HOST)
        parser.add_argument("--port", type=int, default=settings.MAIL_INTAKE_PORT)
        parser.add_argument("--max-bytes", type=int, default=settings.MAIL_INTAKE_MAX_BYTES)

    def handle(self, *args, host: str, port: int, max_bytes: int, **options):
        server = controller(host=host, port=port, size_limit=max_bytes)
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        server.start()
        self.stdout.write(
            f"mail intake listening on {host}:{port}, up to {max_bytes} bytes, for {', '.join(sorted(recipients()))}"
        )
        try:
            stop.wait()
        finally:
            server.stop()
            self.stdout.write("mail intake stopped")
