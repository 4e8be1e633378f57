"""Create (or repair) the first administrator: a superuser with the admin role at head office."""

from __future__ import annotations

import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands.load_org import default_base_url, write_links
from accounts.models import Organisation
from accounts.services import administrator_ensure


class Command(BaseCommand):
    help = (
        "Create or repair the administrator (superuser, admin role, head office). Non-interactive with --noinput: "
        "DJANGO_SUPERUSER_USERNAME / _EMAIL / _PASSWORD; without a password a one-time set-password link is printed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default=os.environ.get("DJANGO_SUPERUSER_USERNAME", ""))
        parser.add_argument("--email", default=os.environ.get("DJANGO_SUPERUSER_EMAIL", ""))
        parser.add_argument("--name", default="", help="Display name (姓名).")
        parser.add_argument("--org", default="", help="Head-office code (default: the head office).")
        parser.add_argument("--noinput", "--no-input", action="store_true", help="Never prompt.")
        parser.add_argument("--base-url", default="", help="Address users open, for the set-password link.")

    def handle(self, *args, username, email, name, org, noinput, base_url, **options):
        interactive = not noinput
        if not username:
            if not interactive:
                raise CommandError("Give --username or set DJANGO_SUPERUSER_USERNAME.")
            username = input("Username: ").strip()
        head_offices = Organisation.objects.filter(kind=Organisation.Kind.HEAD_OFFICE)
        if org:
            head_offices = head_offices.filter(code=org.upper())
        found = list(head_offices[:2])
        if len(found) != 1:
            raise CommandError(
                "No head office found: load the organisation tree first (manage.py load_org org.yaml)."
                if not found
                else "More than one head office: name it with --org."
            )
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD") or None
        if password is None and interactive:
            first = getpass.getpass("Password (empty: print a one-time set-password link instead): ")
            if first:
                if getpass.getpass("Password (again): ") != first:
                    raise CommandError("The passwords differ; nothing was changed.")
                password = first
        try:
            user, created = administrator_ensure(
                username=username, org=found[0], email=email, display_name=name, password=password
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages) + " Nothing was changed.") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Administrator {user.username} {'created' if created else 'updated'} at {found[0].code}."
            )
        )
        if not user.has_usable_password():
            write_links(self, [user], base_url or default_base_url(), None)
