"""Load the organisation tree and the staff from YAML/CSV files (format: docs/onboarding.md)."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.directory import DirectoryError, directory_read
from accounts.services import DirectoryReport, directory_apply, user_password_link


def default_base_url() -> str:
    """Where users open the product: the first trusted origin, else the local development server."""
    origins = getattr(settings, "CSRF_TRUSTED_ORIGINS", [])
    return origins[0] if origins else "http://127.0.0.1:8000"


def write_links(command: BaseCommand, users, base_url: str, links_file: str | None) -> None:
    """One set-password link per user, to stdout or to a file only its owner can read."""
    lines = [f"{u.username}\t{user_password_link(user=u, base_url=base_url)}" for u in users]
    if not lines:
        return
    if links_file:
        fd = os.open(links_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        command.stdout.write(f"{len(lines)} one-time set-password link(s) written to {links_file} (mode 600).")
        return
    command.stdout.write("One-time set-password links (give each to its user only; each works once):")
    for line in lines:
        command.stdout.write(f"  {line}")


class Command(BaseCommand):
    help = (
        "Create or update organisations and users from YAML/CSV files (docs/onboarding.md). Idempotent; "
        "checks every row first and applies all or nothing; never deletes."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="YAML (organisations and/or users) or CSV files, in any order.")
        parser.add_argument("--dry-run", action="store_true", help="Check and report what would change; apply nothing.")
        parser.add_argument(
            "--deactivate-missing",
            action="store_true",
            help="Deactivate active users absent from the files (superusers are kept). Default: only report them.",
        )
        parser.add_argument(
            "--base-url", default="", help="Address users open, for the links (default: first CSRF trusted origin)."
        )
        parser.add_argument("--links-file", help="Write set-password links to this file (mode 600) instead of stdout.")
        parser.add_argument(
            "--reissue-links",
            action="store_true",
            help="Also print links for listed users who have still not set a password (an earlier link expired).",
        )

    def handle(self, *args, files, dry_run, deactivate_missing, base_url, links_file, reissue_links, **options):
        paths = [Path(f) for f in files]
        try:
            directory = directory_read(paths)
            report = directory_apply(
                directory=directory,
                deactivate_missing=deactivate_missing,
                dry_run=dry_run,
                run_by=f"manage.py load_org (OS user {getpass.getuser()})",
            )
        except DirectoryError as exc:
            raise CommandError(
                f"{len(exc.problems)} problem(s); nothing was changed:\n" + "\n".join(f"  {p}" for p in exc.problems)
            ) from exc
        self._print(report, dry_run=dry_run)
        if dry_run:
            return
        links = list(report.created_users)
        if reissue_links:
            from accounts.models import User

            listed = [u.username for u in directory.users]
            created = {u.pk for u in links}
            links += [
                u
                for u in User.objects.filter(username__in=listed, is_active=True).order_by("username")
                if not u.has_usable_password() and u.pk not in created
            ]
        write_links(self, links, base_url or default_base_url(), links_file)
        if report.changed:
            self.stdout.write("Audit event directory.load written.")

    def _print(self, r: DirectoryReport, *, dry_run: bool) -> None:
        w = self.stdout.write
        w(
            ("DRY RUN, nothing applied. " if dry_run else "")
            + (
                f"Organisations: {len(r.created_orgs)} created, {len(r.updated_orgs)} updated, {r.unchanged_orgs} unchanged. "
                f"Users: {len(r.created_users)} created, {len(r.updated_users)} updated, {r.unchanged_users} unchanged."
            )
        )
        for code in r.created_orgs:
            w(f"  + org {code}")
        for code, fields in r.updated_orgs:
            w(f"  ~ org {code}: {', '.join(fields)}")
        for user in r.created_users:
            w(f"  + user {user.username}")
        for username, fields in r.updated_users:
            w(f"  ~ user {username}: {', '.join(fields)}")
        if r.missing_orgs:
            w(f"Organisations in the database but not in the files (kept): {', '.join(r.missing_orgs)}")
        if r.missing_users:
            w(
                f"Active users not in the files (kept; --deactivate-missing deactivates them): {', '.join(r.missing_users)}"
            )
        if r.deactivated_users:
            w(f"Deactivated (not in the files): {', '.join(r.deactivated_users)}")
        if r.kept_superusers:
            w(f"Superusers not in the files (never deactivated here): {', '.join(r.kept_superusers)}")
        if not r.changed:
            w(self.style.SUCCESS("Nothing to change."))
