"""Notification.complaint (a foreign key from the base app to a domain app) becomes a generic
target: the target's model label and id (issue 13). Every row keeps what it was about:

- a notification about a case points at ``complaints.complaint`` with the same id;
- a typical-recording notice (kind ``typical_recording``, key ``recording-flag:<flag id>``) is
  about the recording, which its audience may hear even outside the case's scope: it points at
  ``recordings.callrecording`` (the flag's recording); if the flag is gone, at the case as before;
- a notification about nothing stays about nothing.

Reversible: going back, a case target becomes the foreign key again, a recording target its
recording's case (what the row held before), and a target of any other kind (none exist before
this migration) no case.
"""

from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery

COMPLAINT = "complaints.complaint"
RECORDING = "recordings.callrecording"
FLAG_KEY = "recording-flag:"


def forward(apps, schema_editor):
    Notification = apps.get_model("accounts", "Notification")
    RecordingFlag = apps.get_model("recordings", "RecordingFlag")
    Notification.objects.filter(complaint__isnull=False).update(target_type=COMPLAINT, target_id=F("complaint_id"))
    flags = Notification.objects.filter(kind="typical_recording", dedupe_key__startswith=FLAG_KEY)
    batch = []
    for n in flags.only("pk", "dedupe_key").iterator(chunk_size=1000):
        flag_id = n.dedupe_key.removeprefix(FLAG_KEY)
        if flag_id.isdigit():
            batch.append((n.pk, int(flag_id)))
    recording_of = dict(RecordingFlag.objects.filter(pk__in={f for _n, f in batch}).values_list("pk", "recording_id"))
    for pk, flag_id in batch:
        if flag_id in recording_of:
            Notification.objects.filter(pk=pk).update(target_type=RECORDING, target_id=recording_of[flag_id])
    _checked_now(schema_editor)


def backward(apps, schema_editor):
    Notification = apps.get_model("accounts", "Notification")
    Complaint = apps.get_model("complaints", "Complaint")
    CallRecording = apps.get_model("recordings", "CallRecording")
    Notification.objects.filter(target_type=COMPLAINT, target_id__in=Complaint.objects.values("pk")).update(
        complaint_id=F("target_id")
    )
    Notification.objects.filter(target_type=RECORDING).update(
        complaint_id=Subquery(CallRecording.objects.filter(pk=OuterRef("target_id")).values("complaint_id")[:1])
    )
    _checked_now(schema_editor)


def _checked_now(schema_editor):
    """Run the foreign-key checks the updates queued (PostgreSQL defers them to the commit), so
    this migration may alter the table after them in the same transaction."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.connection.check_constraints()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_org_code_message_one_language"),
        ("complaints", "0009_retention"),
        ("recordings", "0007_play_log_user_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="target_type",
            field=models.CharField(blank=True, max_length=50, verbose_name="对象类型"),
        ),
        migrations.AddField(
            model_name="notification",
            name="target_id",
            field=models.BigIntegerField(blank=True, null=True, verbose_name="对象编号"),
        ),
        migrations.RunPython(forward, backward, elidable=False),
        migrations.RemoveField(model_name="notification", name="complaint"),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["target_type", "target_id"], name="notif_target"),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("target_id__isnull", True), ("target_type", "")),
                    models.Q(models.Q(("target_type", ""), _negated=True), ("target_id__isnull", False)),
                    _connector="OR",
                ),
                name="notif_target_whole",
            ),
        ),
    ]
