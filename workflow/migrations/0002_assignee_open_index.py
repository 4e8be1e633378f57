"""Partial index for "my cases": a handler's open cases without reading their closed history.

``workflow.selectors.my_cases`` filters ``assigned_to = X AND NOT status IN (final states)``.
The (assigned_to, status) index of complaints has to visit every case ever assigned to
the handler (thousands after a few years, mostly closed) and fetch each row: ~0.4-0.9 s
at 1M cases (bench/workflow.py). This index holds only open cases, so the lookup reads
tens of entries. Raw SQL because the table belongs to the complaints app; the predicate
must stay identical to the selector's exclude (FINAL_STATES, sorted) for the planner to
use it. Same SQL on PostgreSQL and SQLite.
"""

from django.db import migrations

INDEX = "wf_cmp_assignee_open"


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0001_initial"),
        ("complaints", "0004_intake_search_trgm"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(
                f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "complaints_complaint" ("assigned_to_id", "due_date") '
                "WHERE NOT (\"status\" IN ('closed', 'merged', 'not_accepted', 'withdrawn'))"
            ),
            reverse_sql=f'DROP INDEX IF EXISTS "{INDEX}"',
        ),
    ]
