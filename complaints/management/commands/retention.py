from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from complaints import retention as rules
from complaints.services.retention import retention_policy, retention_run


class Command(BaseCommand):
    help = (
        "Apply the retention policy (settings VOC_RETENTION: at least 3 years after closure, then anonymise "
        "or purge). A dry run by default: counts per organisation and action, nothing changed; --apply acts. "
        "Cases under an open regulator inquiry, with an open verification or review, or linked by a merge "
        "to such a case are left alone. One audit event per run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="anonymise/purge (default: dry run, counts only)")

    def handle(self, *args, apply: bool, **options):
        try:
            policy = retention_policy()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        report = retention_run(apply=apply, policy=policy)
        mode = "APPLIED" if apply else "DRY RUN (nothing changed; --apply to act)"
        self.stdout.write(
            f"Retention {mode}: policy {policy.action} after {policy.min_years} years; "
            f"cases closed on or before {report.closed_on_or_before} (today {report.today})."
        )
        columns = [rules.ANONYMISE, rules.PURGE, *(f"held:{h}" for h in rules.HOLDS)]
        columns = [c for c in columns if any(counts.get(c) for counts in report.per_org.values())]
        if columns:
            width = max(len(org) for org in report.per_org) + 2
            self.stdout.write("org".ljust(width) + "".join(c.rjust(max(len(c), 6) + 2) for c in columns))
            for org, counts in sorted(report.per_org.items()):
                self.stdout.write(
                    org.ljust(width) + "".join(str(counts.get(c, 0)).rjust(max(len(c), 6) + 2) for c in columns)
                )
        verb = "" if apply else "would be "
        self.stdout.write(
            f"Cases {verb}anonymised: {report.anonymised}; {verb}purged: {report.purged}"
            + (
                f" ({report.anonymised_instead_of_purged} anonymised instead: the play log refers to them)"
                if report.anonymised_instead_of_purged
                else ""
            )
            + "".join(f". {what.replace('_', ' ').capitalize()}: {n}" for what, n in sorted(report.counts.items()))
            + f". Files {verb}removed: {report.files}, customers {verb}removed: {report.customers_removed}."
        )
        if report.held:
            held = ", ".join(f"{reason} {n}" for reason, n in sorted(report.held.items()))
            self.stdout.write(f"Held (left as they are): {held}.")
        self.stdout.write(self.style.SUCCESS("Done; the run is in the audit trail."))
