"""Trigram (pg_trgm) GIN indexes for substring search over summary and details.

PostgreSQL only: on SQLite the search falls back to ``icontains`` and this migration
does nothing. pg_trgm extracts CJK trigrams when the database LC_CTYPE classifies
CJK characters as letters (C.UTF-8 / *.UTF-8 locales; checked here on PG 15), so
``ILIKE '%信用卡年费%'`` uses the index. Queries shorter than three characters have
no trigram; the selector then relies on the received_at index walk.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS cmp_summary_trgm ON complaints_complaint USING gin (summary gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS cmp_details_trgm ON complaints_complaint USING gin (details gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS cmp_summary_trgm", "DROP INDEX IF EXISTS cmp_details_trgm"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("complaints", "0003_intake_models")]
    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
