from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from analytics.services import rollup_rebuild


class Command(BaseCommand):
    help = "Rebuild the analytics rollups (daily, then monthly and weekly) from the raw complaints (all days, or --start/--end). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--start", type=date.fromisoformat, help="First day (YYYY-MM-DD)")
        parser.add_argument("--end", type=date.fromisoformat, help="Last day (YYYY-MM-DD)")

    def handle(self, *args, start=None, end=None, **options):
        if start and end and end < start:
            raise CommandError("--end is before --start")
        rows = rollup_rebuild(start=start, end=end, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Rollup rebuilt: {rows} rows"))
