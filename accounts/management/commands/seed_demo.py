"""Demo data for the whole product, in dependency order. Safe to run again."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import demo as accounts_demo
from accounts import roles
from voc.extensions import ExtensionPoint

# Every other installed app may add its own ``demo.seed(stdout=..., options=...)``; they run after
# the users, in INSTALLED_APPS order (an app's data may build on the apps listed before it).
DEMO = ExtensionPoint("demo.seed", owner="accounts")


class Command(BaseCommand):
    help = "Create demo organisations, users (one per role per org) and demo cases. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--complaints", type=int, default=20000, help="How many demo complaints (default 20000).")
        parser.add_argument("--quick", action="store_true", help="Small data set, skip slow steps (tests, CI).")

    def handle(self, *args, **options):
        # Demo users share one published password, and one of them is a superuser.
        if settings.PRODUCTION:
            raise CommandError(
                "seed_demo refuses to run with production settings (DJANGO_ENV=production): "
                "its users share the public demo password and include a superuser named 'admin'."
            )
        users = accounts_demo.seed(stdout=self.stdout)
        DEMO.call(stdout=self.stdout, options=options)
        self.stdout.write(self.style.SUCCESS("Demo users (password for all: %s):" % accounts_demo.DEMO_PASSWORD))
        for u in users:
            labels = ", ".join(str(roles.ROLE_LABELS[r]) for r in u.roles)
            self.stdout.write(f"  {u.username:<16} {u.org_code:<6} {labels}")
