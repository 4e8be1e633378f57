"""Trigram index for searching redacted transcripts from the complaint search.

PostgreSQL only (pg_trgm, created by complaints 0004); SQLite searches with icontains.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS rec_segment_redacted_trgm ON recordings_transcriptsegment "
    "USING gin (text_redacted gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS rec_segment_redacted_trgm"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("recordings", "0001_initial"), ("complaints", "0004_intake_search_trgm")]
    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
