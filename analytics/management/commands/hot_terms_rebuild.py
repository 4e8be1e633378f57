from __future__ import annotations

from django.core.management.base import BaseCommand

from analytics.hot_counts import rebuild


class Command(BaseCommand):
    help = (
        "Recount the hot-topic panel's weekly per-term call counts from the redacted transcripts "
        "(the backfill after migrating; idempotent)."
    )

    def handle(self, *args, **options):
        calls = rebuild(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Hot terms counted: {calls} calls"))
