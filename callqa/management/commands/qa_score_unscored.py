from django.core.management.base import BaseCommand

from callqa.services import score_unscored


class Command(BaseCommand):
    help = "Score every transcribed call that has no QA score yet (call QA, issue 16)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None)

    def handle(self, *args, limit=None, **options):
        done = score_unscored(limit=limit)
        self.stdout.write(f"scored {done} call(s)")
