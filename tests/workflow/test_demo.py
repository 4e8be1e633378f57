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


@pytest.fixture
def demo_site(pin_clock):
    from django.core.management import call_command

    from tests.conftest import PINNED_TODAY

    pin_clock(PINNED_TODAY)
    call_command("seed_demo", "--quick", verbosity=0)


def test_the_demo_shows_each_audit_control_once_through_the_services(demo_site, client):
    """A person opening the demo finds each control of issue 17 used: verification with the decision's
    receipt date and channel, decided by the upper level; a pause with type, reference, expected end
    and approval; a manager's extension approved by head office; a merge with its reason; a 回避
    refusal; a late entry with its reason."""
    from django.urls import reverse

    from accounts import roles
    from accounts.models import User
    from workflow.models import Decision, ExtensionRequest, InvolvedStaff, PauseRequest, VerificationRequest

    v = VerificationRequest.objects.select_related("decision", "decided_by", "upper_org", "complaint").get(
        decision__isnull=False
    )
    assert v.decision.informed_via == "phone" and v.decision_received_on == v.decision.informed_on
    assert v.requested_via == "letter" and v.window_end and v.requested_on >= v.decision_received_on
    assert v.outcome == "upheld" and v.decided_by.org_id == v.upper_org_id == v.complaint.responsible_org.parent_id
    handled = set(CaseTransition.objects.filter(complaint=v.complaint).exclude(action="decide_verification")
                  .values_list("actor_id", flat=True))  # fmt: skip
    assert v.decided_by_id not in handled and v.complaint.status == "closed"
    assert Decision.objects.filter(complaint=v.complaint, informed_on__isnull=False).count() == 1

    p = PauseRequest.objects.select_related("decided_by", "complaint").get()
    assert p.status == "approved" and p.reason == "appraisal" and p.reference and p.expected_end > timezone.localdate()
    assert p.decided_by.has_role(roles.BRANCH_MANAGER) and p.complaint.status == "paused"
    assert p.complaint.pauses.get(ended_at__isnull=True).request_id == p.pk

    ext = ExtensionRequest.objects.filter(requested_by__username="bj_manager").select_related("decided_by").get()
    assert ext.status == "approved" and ext.decided_by.at_head_office and ext.complaint.extension_level == 1

    merged = Complaint.objects.filter(status="merged", merged_into__isnull=False)
    merges = CaseTransition.objects.filter(action="merge", complaint__in=merged).exclude(reason="")
    assert merges.exists()
    shown = merges.filter(data__has_key="into").get()  # the one merged through the service
    repeat = shown.complaint
    assert repeat.customer_id == repeat.merged_into.customer_id and repeat.merged_into.status not in (
        "closed", "withdrawn", "merged", "not_accepted"
    )  # fmt: skip
    assert CaseTransition.objects.filter(complaint=repeat.merged_into, action="merged_in").exists()

    involved = InvolvedStaff.objects.select_related("user", "complaint").get()
    refused = CaseTransition.objects.get(complaint=involved.complaint, action="refused")
    assert refused.data == {"action": "assign", "rule": "involved", "target": involved.user.username}
    assert involved.complaint.assigned_to_id != involved.user.pk

    late = CaseTransition.objects.filter(action="register", data__has_key="late_days").exclude(reason="")
    assert late.count() == 1 and late.get().data["late_days"] >= 3

    # Each shows on its case page.
    client.force_login(User.objects.get(username="ho_officer"))
    for case, text in [
        (v.complaint, "维持原处理意见"),
        (v.complaint, f"客户收到处理决定：{v.decision_received_on:%Y-%m-%d} · 电话"),
        (p.complaint, f"鉴定委托编号 {p.reference}"),
        (repeat, shown.reason),
        (involved.complaint, "须回避"),
        (late.get().complaint, late.get().reason),
    ]:
        page = client.get(reverse("workflow:case", args=[case.pk])).content.decode()
        assert text in page, (case.reference, text)


def test_the_demo_controls_are_shown_once(demo_site):
    from django.core.management import call_command

    from workflow.models import PauseRequest

    before = CaseTransition.objects.count()
    call_command("seed_demo", "--quick", verbosity=0)
    assert CaseTransition.objects.count() == before and PauseRequest.objects.count() == 1
