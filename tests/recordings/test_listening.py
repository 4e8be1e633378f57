"""Flag a typical recording → pushed to listeners → they play the redacted version, mark it
listened and comment → auditors see every play."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import roles
from accounts.models import Notification
from recordings.models import ListeningEvent, RecordingComment
from recordings.selectors import listening_inbox
from recordings.services import recording_flag

from .conftest import make_recording

pytestmark = pytest.mark.django_db


def _flag(client, officer, rec, **data):
    client.force_login(officer)
    payload = {
        "note": "典型：年费争议处理得当",
        "audience_roles": [roles.LISTENING_MANAGER, roles.BRANCH_MANAGER],
    } | data
    return client.post(reverse("recordings:flag", args=[rec.pk]), payload)


def test_flag_pushes_to_the_branch_and_head_office_listeners_only(
    client, people, estate, django_capture_on_commit_callbacks
):
    rec = estate.bj_recs[0]
    with django_capture_on_commit_callbacks(execute=True):
        resp = _flag(client, people.ho_officer, rec)
    assert resp.status_code == 302
    notified = set(Notification.objects.filter(kind="typical_recording").values_list("recipient__username", flat=True))
    assert notified == {people.bj_listener.username, people.bj_manager.username, people.ho_listener.username}
    assert [f.recording_id for f in listening_inbox(people.bj_listener)] == [rec.pk]
    assert list(listening_inbox(people.sh_listener)) == []
    client.force_login(people.sh_listener)
    assert client.get(reverse("recordings:detail", args=[rec.pk])).status_code == 404


def test_audience_org_opens_the_redacted_version_across_branches(client, people, estate, org_tree):
    rec = estate.bj_recs[0]
    _flag(client, people.ho_officer, rec, audience_orgs=[org_tree.sh.pk], audience_roles=[roles.LISTENING_MANAGER])
    client.force_login(people.sh_listener)
    inbox = client.get(reverse("recordings:inbox")).content.decode()
    assert f'data-inbox-item="{rec.pk}"' in inbox
    page = client.get(reverse("recordings:detail", args=[rec.pk])).content.decode()
    assert rec.complaint.reference not in page  # the case itself stays out of reach
    assert "6222" not in page and "[card number removed]" in page
    assert client.get(reverse("recordings:audio", args=[rec.pk, "original"])).status_code == 404
    assert client.get(reverse("recordings:audio", args=[rec.pk, "redacted"]) + "?play=p1").status_code == 200
    assert client.get(reverse("recordings:case", args=[rec.complaint.reference])).status_code == 404
    # the flag does not open other recordings of the same case
    assert client.get(reverse("recordings:detail", args=[estate.bj_recs[1].pk])).status_code == 404


def test_listen_mark_comment_and_auditor_sees_the_play(client, people, estate):
    rec = estate.bj_recs[0]
    _flag(client, people.ho_officer, rec)
    client.force_login(people.bj_listener)
    client.get(reverse("recordings:audio", args=[rec.pk, "redacted"]) + "?play=x1", HTTP_RANGE="bytes=0-")
    resp = client.post(reverse("recordings:listened", args=[rec.pk]), {"body": "客户手机13812345678反映的问题很典型"})
    assert resp.status_code == 302
    assert list(listening_inbox(people.bj_listener)) == []
    assert [f.recording_id for f in listening_inbox(people.bj_listener, include_listened=True)] == [rec.pk]
    comment = RecordingComment.objects.get(recording=rec)
    assert "13812345678" not in comment.body and "138****5678" in comment.body
    event = ListeningEvent.objects.get(recording=rec)
    assert (event.user, event.version) == (people.bj_listener, "redacted")
    client.force_login(people.auditor)
    plays = client.get(reverse("recordings:plays") + f"?recording={rec.pk}").content.decode()
    assert people.bj_listener.username in plays and "脱敏录音" in plays


def test_only_officers_flag_and_only_playable_recordings(client, people, estate, org_tree):
    rec = estate.bj_recs[0]
    assert _flag(client, people.bj_manager, rec).status_code == 404
    unplayable = make_recording(estate.bj_cases[0], redacted=False, tag="np")
    with pytest.raises(ValidationError):
        recording_flag(
            actor=people.ho_officer, recording=unplayable, note="x", audience_roles=[roles.LISTENING_MANAGER]
        )
    with pytest.raises(ValidationError):
        recording_flag(actor=people.ho_officer, recording=rec, note="", audience_roles=[roles.LISTENING_MANAGER])
    assert not hasattr(unplayable, "flag") or unplayable.flag is None


def test_inbox_works_at_phone_width_markup(client, people, estate):
    _flag(client, people.ho_officer, estate.bj_recs[0])
    client.force_login(people.bj_listener)
    body = client.get(reverse("recordings:inbox")).content.decode()
    assert 'name="viewport"' in body and 'class="inbox-list"' in body


def test_an_audience_org_reaches_its_subtree_and_not_an_org_whose_code_it_prefixes(people, estate, org_tree, make_user):
    from accounts.models import Organisation
    from recordings.services import audience_users
    from tests.accounts.factories import OrganisationFactory

    bjs = OrganisationFactory(code="BJS", name_zh="北京南站分行", kind=Organisation.Kind.BRANCH, parent=org_tree.ho)
    bjs_listener = make_user(roles.LISTENING_MANAGER, bjs)
    cy_listener = make_user(roles.LISTENING_MANAGER, org_tree.bj_cy)
    flag = recording_flag(
        actor=people.ho_officer, recording=estate.bj_recs[0], note="典型", audience_roles=[roles.LISTENING_MANAGER],
        audience_orgs=[org_tree.bj],
    )  # fmt: skip
    reached = set(audience_users(flag))
    assert {people.bj_listener, cy_listener} <= reached and bjs_listener not in reached
