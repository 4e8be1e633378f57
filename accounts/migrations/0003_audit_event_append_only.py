"""The audit trail (AuditEvent) is append-only at the database: a trigger refuses UPDATE and DELETE of its rows.

PostgreSQL (production) refuses both. SQLite (the quick start and the fast test run) refuses
UPDATE only: Django's flush after transactional tests empties tables with DELETE on SQLite
(TRUNCATE on PostgreSQL, which row triggers do not see). The error is an IntegrityError.
"""

from django.db import migrations

TABLE = "accounts_auditevent"
TRIGGER = f"{TABLE}_append_only"
MESSAGE = f"{TABLE} is append-only"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            f"""
            CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'restrict_violation';
            END
            $$;
            CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE}
                FOR EACH ROW EXECUTE FUNCTION {TRIGGER}();
            """,
            params=None,  # no placeholders: the % in RAISE is PL/pgSQL's
        )
    elif vendor == "sqlite":
        schema_editor.execute(
            f"CREATE TRIGGER {TRIGGER}_update BEFORE UPDATE ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE refused'); END;"
        )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}; DROP FUNCTION IF EXISTS {TRIGGER}();")
    elif vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}_update;")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_notification"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
