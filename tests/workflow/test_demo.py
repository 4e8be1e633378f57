"""The workflow demo: realistic, consistent histories; a second run changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from accounts import demo as accounts_demo
from accounts.models import Organisation
from complaints.models import Complaint
from tests.complaints.factories import ComplaintFactory
from workflow import demo
from workflow.hooks import case_registered
from workflow.models import CaseTransition

pytestmark = pytest.mark.django_db


def test_demo_moves_cases_consistently_and_is_idempotent():
    accounts_demo.seed()
    orgs = list(Organisation.objects.exclude(kind="head_office"))
    now = timezone.now()
    for i in range(120):
        c = ComplaintFactory(responsible_org=orgs[i % len(orgs)], received_at=now - timedelta(days=i % 90, hours=i % 7))
        case_registered(c, actor=None)
    assert demo.seed() > 100
    states = dict(Complaint.objects.values_list("status").annotate(n=Count("id")))
    assert states.get("closed", 0) > 40 and len(states) >= 4
    for c in Complaint.objects.all():
        last = CaseTransition.objects.filter(complaint=c).order_by("id").last()
        assert last.to_state == c.status
        assert CaseTransition.objects.filter(complaint=c, action="register").count() == 1
        if c.status == "closed":
            assert c.result and c.root_cause_code_id and c.responded_at and c.first_response_at
    before = CaseTransition.objects.count()
    assert demo.seed() == 0
    assert CaseTransition.objects.count() == before
