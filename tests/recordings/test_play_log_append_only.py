"""The play log (who listened to which recording) is append-only at the database: a trigger
refuses UPDATE (SQLite and PostgreSQL) and DELETE (PostgreSQL; Django's flush on SQLite
deletes rows)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from recordings.models import ListeningEvent
from recordings.services.listening import listening_event_record
from tests.complaints.factories import ComplaintFactory
from tests.recordings.conftest import make_recording

pytestmark = pytest.mark.django_db


@pytest.fixture
def play(org_tree, people) -> ListeningEvent:
    rec = make_recording(ComplaintFactory(responsible_org=org_tree.bj), tag="bj")
    return listening_event_record(user=people.bj_listener, recording=rec, version=ListeningEvent.Version.REDACTED)


def test_an_update_of_a_play_is_refused(play, people):
    play.user = people.sh_listener  # rewriting who listened
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        play.save()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        ListeningEvent.objects.filter(pk=play.pk).update(version=ListeningEvent.Version.ORIGINAL)
    play.refresh_from_db()
    assert (play.user, play.version) == (people.bj_listener, ListeningEvent.Version.REDACTED)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="DELETE is refused on PostgreSQL only")
def test_a_delete_of_a_play_is_refused_on_postgresql(play):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        ListeningEvent.objects.filter(pk=play.pk).delete()
    assert ListeningEvent.objects.filter(pk=play.pk).exists()
