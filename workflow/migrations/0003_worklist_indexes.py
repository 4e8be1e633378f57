"""Partial indexes for the inbox, its counters and the head-office overview.

``workflow.selectors.worklist_for`` filters ``status IN (WORKLIST_STATES)`` (open cases
plus answered ones, ~3% of all cases). Over (status, due_date) every inbox page read all
open rows in scope from the heap three times (counters, pager count, urgency sort): ~45 ms
each for head office at 1M cases (bench/workflow.py).

- ``wf_cmp_worklist``: (responsible_org_id, status, due_date, assigned_to_id, id) over the
  worklist only, so the counters and the overview are one grouped, index-only scan (every
  column they read is in the index) and branch scopes read just their orgs' entries.
- ``wf_cmp_running_due``: (due_date, id) over running clocks, so the first page of the
  inbox ("running, earliest deadline first") is an index-ordered LIMIT instead of a sort.

Raw SQL because the table belongs to the complaints app (as in 0002); the predicates must
stay identical to the selectors' status lists (sorted) for the planner to use them. Same
SQL on PostgreSQL and SQLite (no INCLUDE: SQLite lacks it).
"""

from django.db import migrations

WORKLIST = (
    "'accepted', 'approved', 'decision_drafted', 'ho_review', 'investigating', "
    "'paused', 'registered', 'responded', 'routed', 'verification'"
)
RUNNING = (
    "'accepted', 'approved', 'decision_drafted', 'ho_review', 'investigating', 'registered', 'routed', 'verification'"
)


def _index(name: str, columns: str, states: str) -> migrations.RunSQL:
    return migrations.RunSQL(
        sql=f'CREATE INDEX IF NOT EXISTS "{name}" ON "complaints_complaint" ({columns}) WHERE "status" IN ({states})',
        reverse_sql=f'DROP INDEX IF EXISTS "{name}"',
    )


class Migration(migrations.Migration):
    dependencies = [("workflow", "0002_assignee_open_index")]

    operations = [
        _index(
            "wf_cmp_worklist",
            '"responsible_org_id", "status", "due_date", "assigned_to_id", "id"',
            WORKLIST,
        ),
        _index("wf_cmp_running_due", '"due_date", "id"', RUNNING),
    ]
