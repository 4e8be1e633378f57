"""The restore drill from README (production → Backups): back up PostgreSQL and the media folder,
lose both, restore, and find the same cases and byte-identical recordings."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, connections

from accounts.models import AuditEvent, Organisation, User
from complaints.models import Complaint
from recordings.models import CallRecording
from tests.complaints.factories import ComplaintFactory

ROOT = Path(django_settings.BASE_DIR)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="pg_dump/pg_restore back up PostgreSQL; the SQLite quick start is backed up by copying var/ while stopped",
    ),
]


def _url(db: dict, name: str | None = None) -> str:
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name or db['NAME']}"


def _counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in (Complaint, CallRecording, AuditEvent, Organisation, User)}


@pytest.mark.django_db(transaction=True)
def test_backup_drop_restore_drill(tmp_path, settings, org_tree, ho_officer):
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    for org, n in ((org_tree.bj, 3), (org_tree.sh, 5)):
        ComplaintFactory.create_batch(n, responsible_org=org)
    audio = os.urandom(48_000)  # stands in for a call: any bytes must come back identical
    case = Complaint.objects.filter(responsible_org=org_tree.bj).first()
    stored = default_storage.save("recordings/original/drill.wav", ContentFile(audio))
    CallRecording.objects.create(
        complaint=case,
        owner_org=org_tree.bj,
        file=stored,
        original_name="drill.wav",
        size_bytes=len(audio),
        sha256=hashlib.sha256(audio).hexdigest(),
        audio_format="wav",
        duration_s=3.0,
    )
    AuditEvent.objects.create(action="drill.marker", object_id="1")
    before = _counts()
    assert before["complaints.Complaint"] == 8

    db = connection.settings_dict
    env = {**os.environ, "DATABASE_URL": _url(db), "VOC_MEDIA_ROOT": str(media)}
    backup = subprocess.run(
        [ROOT / "scripts" / "backup", tmp_path / "backups"], env=env, capture_output=True, text=True, timeout=120
    )
    assert backup.returncode == 0, backup.stderr
    backup_dir = Path(backup.stdout.strip().splitlines()[-1])
    assert {p.name for p in backup_dir.iterdir()} == {"db.dump", "media.tar", "SHA256SUMS"}

    # Disaster: the database and the recordings are gone.
    connections.close_all()
    admin_url = _url(db, "postgres")
    for sql in (f'DROP DATABASE "{db["NAME"]}" WITH (FORCE)', f'CREATE DATABASE "{db["NAME"]}"'):
        subprocess.run(["psql", admin_url, "-XAqc", sql], check=True, capture_output=True, timeout=60)
    for path in sorted(media.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    assert not (media / stored).exists()

    restore = subprocess.run(
        [ROOT / "scripts" / "restore", backup_dir], env=env, capture_output=True, text=True, timeout=300
    )
    assert restore.returncode == 0, restore.stderr

    assert _counts() == before
    assert Complaint.objects.filter(responsible_org__code="SH").count() == 5
    recording = CallRecording.objects.get(original_name="drill.wav")
    restored = hashlib.sha256((media / recording.file.name).read_bytes()).hexdigest()
    assert restored == recording.sha256 == hashlib.sha256(audio).hexdigest()
    assert AuditEvent.objects.filter(action="drill.marker").exists()

    # A second restore over the live data is refused: a backup is never mixed into a used database.
    again = subprocess.run(
        [ROOT / "scripts" / "restore", backup_dir], env=env, capture_output=True, text=True, timeout=60
    )
    assert again.returncode == 3 and "restore into an empty database" in again.stderr
    assert _counts() == before
