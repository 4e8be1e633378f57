"""A client's service user holds roles and an org so that its API calls meet the one permission
table, but it is not a person: no list of people offers it (assignee pickers, bulk assign, the
audit page's person filter, 回避 by name), no notification reaches it, and the directory load
never counts it as staff missing from the file. Its API actions still work and are shown by name."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import Notification, Organisation, RoleGrant, User
from accounts.selectors import audit_people, users_with_role_at
from accounts.services import notification_send
from complaints.forms import IntakeForm
from complaints.views import bulk_choices
from integrations import services
from tests.workflow.conftest import at, fresh, put
from workflow import actions
from workflow.errors import InvalidInput
from workflow.models import CaseTransition, InvolvedStaff
from workflow.selectors import handlers_for_assignment
from workflow.services import case_assign, escalation_run
from workflow.services.bulk import cases_bulk_act
from workflow.services.team import involved_staff_at_intake

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def service_user(name: str, org: Organisation, grant: list[str], allowed=()) -> User:
    client = services.integration_client_create(name=name, org=org, allowed_actions=list(allowed))
    for role in grant:
        RoleGrant.objects.create(user=client.service_user, role=role)
    return User.objects.get(pk=client.service_user_id)


@pytest.fixture
def bj_system(org_tree):
    """A branch system with every branch role a person could be given cases by."""
    return service_user("北京核心系统", org_tree.bj, [roles.BRANCH_MANAGER, roles.BRANCH_HANDLER], ["accept"])


@pytest.fixture
def ho_system(org_tree):
    return service_user("总行工单系统", org_tree.ho, [roles.HO_OFFICER, roles.HO_APPROVER, roles.AUDITOR])


def test_the_service_creates_a_marked_user_and_people_leaves_it_out(org_tree, staff, bj_system):
    assert bj_system.is_service_account and not staff.bj_handler.is_service_account
    assert bj_system.has_role(roles.BRANCH_HANDLER)  # its permissions are as granted
    assert bj_system not in User.objects.people()
    assert staff.bj_handler in User.objects.people()
    bj = Organisation.objects.filter(pk=org_tree.bj.pk)
    assert set(users_with_role_at(roles.BRANCH_HANDLER, bj)) == {staff.bj_handler, staff.bj_handler2}


def test_a_service_user_is_never_offered_as_an_assignee(org_tree, staff, bj_system):
    offered = {pk for pk, _label in actions.form_kwargs("assign", staff.bj_manager)["handlers"]}
    assert staff.bj_handler.pk in offered and bj_system.pk not in offered
    assert bj_system not in handlers_for_assignment(staff.bj_manager)
    listed = bulk_choices(staff.bj_manager)["handlers"]
    assert staff.bj_handler in listed and bj_system not in listed


def test_a_case_cannot_be_given_to_a_service_user_one_by_one_or_in_bulk(org_tree, staff, new_case, bj_system):
    one, two = put(new_case(org_tree.bj), "accepted"), put(new_case(org_tree.bj), "accepted")
    with pytest.raises(InvalidInput, match="不是经办人"):
        case_assign(complaint_id=one.pk, actor=staff.bj_manager, handler_id=bj_system.pk)
    results = cases_bulk_act(actor=staff.bj_manager, action="assign", complaint_ids=[two.pk], handler_id=bj_system.pk)
    assert [r.ok for r in results] == [False] and "不是经办人" in results[0].message
    assert fresh(one).assigned_to is None and fresh(two).assigned_to is None


def test_escalation_never_notifies_a_service_user(org_tree, staff, new_case, bj_system, ho_system):
    overdue = put(new_case(org_tree.bj, received_at=at(2026, 3, 2)), "investigating", assigned_to=staff.bj_handler)
    # a case a service user held before this rule: the alert goes to the managers, not to it
    held = put(new_case(org_tree.bj, received_at=at(2026, 3, 2)), "investigating", assigned_to=bj_system)
    result = escalation_run(now=at(2026, 3, 18, 9))
    assert result.overdue == 2
    to = set(Notification.objects.filter(kind="case_overdue").values_list("target_id", "recipient__username"))
    people = {staff.bj_manager.username, staff.ho_officer.username}
    assert to == {(overdue.pk, staff.bj_handler.username), *((c.pk, u) for c in (overdue, held) for u in people)}


def test_a_notification_addressed_to_a_service_user_is_not_sent(staff, bj_system):
    sent = notification_send(recipients=[bj_system, staff.bj_manager], kind="x", title="t", dedupe_key="k")
    assert sent == 1
    assert list(Notification.objects.values_list("recipient", flat=True)) == [staff.bj_manager.pk]


def test_the_audit_page_does_not_offer_a_service_user_as_a_person(client, staff, ho_system):
    assert ho_system not in audit_people(staff.auditor) and staff.ho_officer in audit_people(staff.auditor)
    client.force_login(staff.auditor)
    body = client.get(reverse("accounts:audit_log")).content.decode()
    assert f'<option value="{staff.ho_officer.pk}"' in body
    assert f'<option value="{ho_system.pk}"' not in body


def test_a_service_user_named_in_the_complaint_text_is_not_taken_for_staff_to_recuse(org_tree, staff, new_case):
    system = service_user("信用卡核心系统", org_tree.bj, [roles.BRANCH_HANDLER])
    staff.bj_handler.display_name = "王芳"
    staff.bj_handler.save()
    case = new_case(org_tree.bj, summary="信用卡核心系统扣费错误，王芳未解释")
    involved_staff_at_intake(case, actor=staff.agent)
    assert set(InvolvedStaff.objects.filter(complaint=case).values_list("user", flat=True)) == {staff.bj_handler.pk}
    assert system.pk not in set(InvolvedStaff.objects.values_list("user", flat=True))


def test_its_api_actions_still_work_and_the_case_page_names_it(client, org_tree, staff, new_case, bj_system):
    case = put(new_case(org_tree.bj), "routed")
    key, raw = services.api_key_create(client=bj_system.integration_client)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    response = api.post(f"/api/v1/complaints/{case.reference}/actions/accept/", {"reason": "已联系"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted"
    assert CaseTransition.objects.get(complaint=case, action="accept").actor == bj_system
    client.force_login(staff.bj_manager)
    assert "北京核心系统" in client.get(reverse("workflow:case", args=[case.pk])).content.decode()


def _load(*files, **options) -> str:
    out = io.StringIO()
    call_command("load_org", *[str(f) for f in files], stdout=out, **options)
    return out.getvalue()


def test_the_directory_load_neither_reports_nor_deactivates_a_service_user():
    _load(EXAMPLES / "directory.yaml", EXAMPLES / "users.csv")
    system = service_user("核心系统", Organisation.objects.get(code="HO"), [roles.HO_OFFICER])
    out = _load(EXAMPLES / "directory.yaml", EXAMPLES / "users.csv", deactivate_missing=True)
    assert system.username not in out
    assert User.objects.get(pk=system.pk).is_active


@pytest.mark.django_db(transaction=True)
def test_the_migration_marks_the_service_users_of_existing_clients(org_tree, make_user):
    person = make_user(roles.BRANCH_HANDLER, org_tree.bj)
    system = service_user("旧对接系统", org_tree.bj, [roles.BRANCH_HANDLER])
    before = [("accounts", "0008_audit_action_no_field_choices"), ("integrations", "0001_initial")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
        marked = dict(User.objects.filter(pk__in=[person.pk, system.pk]).values_list("pk", "is_service_account"))
        assert marked == {person.pk: False, system.pk: True}
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_intake_forms_staff_picker_offers_people_only(org_tree, staff, bj_system):
    choices = IntakeForm(user=staff.agent).fields["involved_staff"].queryset
    assert staff.bj_handler in choices and bj_system not in choices
