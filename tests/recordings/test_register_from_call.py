"""A suspected-complaint call becomes a case from the intake form, with code hints from its transcript."""

from __future__ import annotations

import pytest
from django.urls import reverse

from complaints.models import Complaint
from recordings.models import CallRecording
from tests.complaints.factories import ComplaintFactory
from tests.complaints.test_pages import _form_token, _post_data
from tests.recordings.conftest import make_recording

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(org_tree):
    """An unlinked, transcribed BJ call whose transcript mentions an annual fee."""
    rec = make_recording(None, owner_org=org_tree.bj, tag="call", suspect=CallRecording.Suspect.OPEN)
    return rec


def test_intake_offers_codes_from_the_transcript_and_links_the_call(client, people, call):
    client.force_login(people.agent)
    html = client.get(reverse("complaints:intake"), {"recording": call.pk}).content.decode()
    assert 'id="from-call"' in html
    assert 'data-code="B030202"' in html  # "annual fee" in the transcript → credit-card fees
    response = client.post(reverse("complaints:intake"), _post_data(_form_token(html), recording=str(call.pk)))
    assert response.status_code == 302
    case = Complaint.objects.get()
    call.refresh_from_db()
    assert call.complaint_id == case.pk
    assert call.suspect == CallRecording.Suspect.LINKED


def test_a_call_outside_scope_or_already_linked_is_404(client, people, call, org_tree):
    client.force_login(people.sh_handler)
    assert client.get(reverse("complaints:intake"), {"recording": call.pk}).status_code == 404
    call.complaint = ComplaintFactory(responsible_org=org_tree.bj)
    call.save()
    client.force_login(people.bj_handler)
    assert client.get(reverse("complaints:intake"), {"recording": call.pk}).status_code == 404
    assert client.get(reverse("complaints:intake"), {"recording": "x"}).status_code == 404


def test_recording_page_offers_register_from_call_only_while_unlinked(client, people, call):
    client.force_login(people.bj_handler)
    html = client.get(reverse("recordings:detail", args=[call.pk])).content.decode()
    assert f'href="{reverse("complaints:intake")}?recording={call.pk}"' in html


def test_case_is_kept_when_the_call_cannot_be_linked(client, people, call):
    """A branch handler's case routed to head office (outside their scope): the case stands,
    the call stays unlinked, and the page says why."""
    client.force_login(people.bj_handler)
    html = client.get(reverse("complaints:intake"), {"recording": call.pk}).content.decode()
    response = client.post(
        reverse("complaints:intake"), _post_data(_form_token(html), recording=str(call.pk)), follow=True
    )
    assert Complaint.objects.count() == 1
    call.refresh_from_db()
    assert call.complaint_id is None
    assert "No such complaint" in response.content.decode() or "投诉不存在" in response.content.decode()
