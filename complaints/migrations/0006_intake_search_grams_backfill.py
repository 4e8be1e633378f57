"""Back-fill ``search_grams`` and index it (PostgreSQL only; SQLite uses ``icontains``).

Set-based with ``grams.GRAMS_SQL`` in id batches, each committed on its own (the
migration is not atomic): row locks are short, autovacuum can follow, and a rerun after
an interruption skips the rows already done (``search_grams = ''``; a case without any
CJK text is simply recomputed). About 2 minutes for 1M rows on the 2-core bench VM.
Then a GIN index over ``string_to_array(search_grams, ' ')``, a larger statistics target
so rare tokens (吞卡: 1 case in 2,000) are estimated as rare — otherwise the planner
walks the received_at index instead — and ANALYZE, which must run after the back-fill
has committed to see the tokens.
"""

from django.db import migrations

from complaints.grams import GRAMS_SQL

BATCH = 100_000


def backfill(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    expr = GRAMS_SQL.format(summary="summary", details="details")
    with schema_editor.connection.cursor() as cur:
        cur.execute("SELECT coalesce(min(id), 0), coalesce(max(id), 0) FROM complaints_complaint")
        low, high = cur.fetchone()
        for start in range(low, high + 1, BATCH):
            cur.execute(
                f"UPDATE complaints_complaint SET search_grams = {expr}"
                " WHERE id >= %s AND id < %s AND search_grams = ''",
                [start, start + BATCH],
            )
        cur.execute(
            "CREATE INDEX IF NOT EXISTS cmp_search_grams ON complaints_complaint"
            " USING gin (string_to_array(search_grams, ' '))"
        )
        cur.execute("ALTER INDEX cmp_search_grams ALTER COLUMN 1 SET STATISTICS 1000")
        cur.execute("ANALYZE complaints_complaint")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS cmp_search_grams")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("complaints", "0005_intake_search_grams")]

    operations = [migrations.RunPython(backfill, drop_index)]
