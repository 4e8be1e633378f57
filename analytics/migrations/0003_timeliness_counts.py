# The rollup counts what workflow.timeliness decided per case (Complaint.decision_timely)
# instead of "HO approval within a fixed 15 days". The old counts mean something else, so
# the column is dropped, not renamed; run ``manage.py rollup_rebuild`` after migrating.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0002_monthly_rollup"),
        ("complaints", "0008_decision_clock"),
    ]

    operations = [
        migrations.RemoveField(model_name="dailyrollup", name="decided_in_15d"),
        migrations.AddField(
            model_name="dailyrollup", name="decided_on_time", field=models.PositiveIntegerField(default=0)
        ),
        migrations.AddField(
            model_name="dailyrollup", name="decided_late", field=models.PositiveIntegerField(default=0)
        ),
    ]
