from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from complaints.services.keys import pii_rekey


class Command(BaseCommand):
    help = (
        "After rotating VOC_PII_ENCRYPTION_KEY / VOC_PII_HASH_KEY (previous keys in VOC_PII_*_OLD_KEYS, "
        "every web and worker process restarted with them): re-encrypt every stored phone/ID number with "
        "the current key and recompute every keyed hash. Batched, idempotent, one audit event per run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="rows per transaction (default 500)")

    def handle(self, *args, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        r = pii_rekey(batch_size=batch_size)
        self.stdout.write(
            f"Checked {r.rows_checked} rows, changed {r.rows_changed}: {r.values_reencrypted} values re-encrypted, "
            f"{r.hashes_recomputed} hashes recomputed."
        )
        if r.hashes_without_value:
            self.stdout.write(
                self.style.WARNING(
                    f"{r.hashes_without_value} hashes have no encrypted value to recompute them from: keep their "
                    "old hash key in VOC_PII_HASH_OLD_KEYS or they can no longer be found."
                )
            )
        if r.unreadable:
            raise CommandError(
                f"{r.unreadable} encrypted values open with no configured key and were left as they are: "
                "add the key they were written with to VOC_PII_ENCRYPTION_OLD_KEYS and run again. "
                "Do not remove any old key yet."
            )
        if not r.hashes_without_value:
            self.stdout.write(self.style.SUCCESS("All personal data is under the current keys; old keys may go."))
