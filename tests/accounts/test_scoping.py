"""The one access rule: a user sees their own org subtree; head office sees all."""

from __future__ import annotations

import pytest

from accounts import roles
from accounts.models import Organisation
from accounts.selectors import can_unmask, can_write, org_ids_visible_to, org_visible_to, orgs_visible_to, scope_to_user

pytestmark = pytest.mark.django_db


def codes(qs) -> set[str]:
    return set(qs.values_list("code", flat=True))


def test_branch_user_sees_exactly_own_subtree(org_tree, make_user):
    bj_user = make_user(roles.BRANCH_HANDLER, org_tree.bj)
    assert codes(orgs_visible_to(bj_user)) == {"BJ", "BJ-CY"}


def test_other_branch_user_sees_only_itself(org_tree, make_user):
    sh_user = make_user(roles.BRANCH_MANAGER, org_tree.sh)
    assert codes(orgs_visible_to(sh_user)) == {"SH"}
    assert not org_visible_to(sh_user, org_tree.bj)
    assert not org_visible_to(sh_user, org_tree.bj_cy)


def test_sub_branch_user_does_not_see_parent_branch(org_tree, make_user):
    cy_user = make_user(roles.BRANCH_HANDLER, org_tree.bj_cy)
    assert codes(orgs_visible_to(cy_user)) == {"BJ-CY"}
    assert not org_visible_to(cy_user, org_tree.bj)


@pytest.mark.parametrize(
    "role", [roles.AGENT, roles.HO_OFFICER, roles.HO_APPROVER, roles.LISTENING_MANAGER, roles.AUDITOR, roles.ADMIN]
)
def test_head_office_roles_see_everything(org_tree, make_user, role):
    user = make_user(role, org_tree.ho)
    assert org_ids_visible_to(user) is None
    assert codes(orgs_visible_to(user)) == {"HO", "BJ", "BJ-CY", "SH"}


def test_scope_to_user_filters_rows_by_org(org_tree, make_user):
    bj_user = make_user(roles.BRANCH_MANAGER, org_tree.bj)
    sh_user = make_user(roles.BRANCH_MANAGER, org_tree.sh)
    ho_user = make_user(roles.HO_OFFICER, org_tree.ho)
    # Users are rows that belong to an org: scope the staff list itself (3 BJ-side users vs 1 SH).
    make_user(roles.BRANCH_HANDLER, org_tree.bj_cy)
    make_user(roles.BRANCH_HANDLER, org_tree.bj, username="bj_handler_2")
    from accounts.models import User

    assert scope_to_user(User.objects.all(), bj_user, org_field="org").count() == 3
    assert scope_to_user(User.objects.all(), sh_user, org_field="org").count() == 1
    assert scope_to_user(User.objects.all(), ho_user, org_field="org").count() == 5


def test_user_without_org_sees_nothing(db):
    from tests.accounts.factories import UserFactory

    user = UserFactory(username="orphan", org=None, roles=(roles.BRANCH_HANDLER,))
    assert not orgs_visible_to(user).exists()


def test_inactive_user_sees_nothing(org_tree, make_user):
    user = make_user(roles.HO_OFFICER, org_tree.ho)
    user.is_active = False
    assert not orgs_visible_to(user).exists()


def test_auditor_is_read_only_and_officer_can_unmask(org_tree, make_user):
    auditor = make_user(roles.AUDITOR, org_tree.ho)
    officer = make_user(roles.HO_OFFICER, org_tree.ho)
    handler = make_user(roles.BRANCH_HANDLER, org_tree.bj)
    assert not can_write(auditor)
    assert can_write(officer) and can_write(handler)
    assert can_unmask(officer) and not can_unmask(handler) and not can_unmask(auditor)


def test_org_level_rules(org_tree):
    from django.core.exceptions import ValidationError

    bad = Organisation(code="SH-PD", name_zh="浦东", kind=Organisation.Kind.SUB_BRANCH, parent=org_tree.ho, path="x/")
    with pytest.raises(ValidationError):
        bad.clean()
