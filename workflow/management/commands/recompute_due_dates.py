from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from workflow.calendar import HOLIDAY_DIR, load_calendar
from workflow.services import due_dates_recompute


class Command(BaseCommand):
    help = (
        "After adding or correcting workflow/holidays/cn_YYYY.json: check the holiday files, then "
        "recompute the stored due date of every case whose clock is running. Idempotent."
    )

    def handle(self, *args, **options):
        try:
            calendar = load_calendar(HOLIDAY_DIR)
        except ValueError as exc:  # names the file and the problem
            raise CommandError(f"Holiday data not valid, nothing changed: {exc}") from exc
        years = ", ".join(str(y) for y in sorted(calendar.known_years))
        self.stdout.write(f"Holiday data for: {years}")
        result = due_dates_recompute()
        self.stdout.write(
            self.style.SUCCESS(f"Checked {result.checked} running cases; {result.moved} due dates moved.")
        )
