"""AuditEvent.action no longer lists AuditAction as field choices: Django keeps choices in the
migration state, so every new kind of audit event was a migration. The values and the column are
unchanged (no SQL on either database); unknown kinds are refused by the one writer,
``accounts.services.audit_record``, at write time."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_notification_generic_target"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(db_index=True, max_length=50, verbose_name="操作"),
        ),
    ]
