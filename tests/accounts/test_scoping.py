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
    from django.utils import translation

    bad = Organisation(code="SH-PD", name_zh="浦东", kind=Organisation.Kind.SUB_BRANCH, parent=org_tree.ho, path="x/")
    with pytest.raises(ValidationError) as zh:
        bad.clean()
    assert zh.value.message_dict == {"parent": ["上级机构层级不符"]}  # issue 14: one language per message
    with translation.override("en"):
        with pytest.raises(ValidationError) as en:
            bad.clean()
        assert en.value.message_dict == {"parent": ["The parent organisation has the wrong level"]}


def test_org_code_format_message_is_in_the_ui_language_only(org_tree):
    from django.core.exceptions import ValidationError
    from django.utils import translation

    bad = Organisation(code="beijing", name_zh="北京", kind=Organisation.Kind.BRANCH, parent=org_tree.ho, path="x/")
    with pytest.raises(ValidationError) as zh:
        bad.full_clean()
    assert zh.value.message_dict["code"] == ["机构代码格式应如 HO、BJ、BJ-CY"]
    with translation.override("en"):
        with pytest.raises(ValidationError) as en:
            bad.full_clean()
        assert en.value.message_dict["code"] == ["The organisation code must look like HO, BJ, BJ-CY"]


def _fresh(org) -> Organisation:
    return Organisation.objects.get(pk=org.pk)


def test_renaming_a_branch_code_carries_its_subtree_and_scope(org_tree, make_user):
    from accounts.services import org_upsert

    bj_user = make_user(roles.BRANCH_MANAGER, org_tree.bj)
    t = org_tree
    renamed = org_upsert(pk=t.bj.pk, code="PEK", name_zh="北京分行", kind=t.bj.kind, parent=t.ho)
    assert renamed.pk == t.bj.pk and Organisation.objects.count() == 4  # renamed, not duplicated
    assert (_fresh(t.bj).path, _fresh(t.bj_cy).path) == ("HO/PEK/", "HO/PEK/BJ-CY/")
    assert codes(orgs_visible_to(type(bj_user).objects.get(pk=bj_user.pk))) == {"PEK", "BJ-CY"}  # next request


def test_moving_a_sub_branch_moves_who_sees_it(org_tree, make_user):
    from accounts.services import org_upsert

    t = org_tree
    org_upsert(pk=t.bj_cy.pk, code="BJ-CY", name_zh="朝阳支行", kind=t.bj_cy.kind, parent=t.sh, is_active=False)
    moved = _fresh(t.bj_cy)
    assert (moved.path, moved.is_active) == ("HO/SH/BJ-CY/", False)
    assert codes(orgs_visible_to(make_user(roles.BRANCH_MANAGER, t.bj))) == {"BJ"}
    assert codes(orgs_visible_to(make_user(roles.BRANCH_MANAGER, t.sh))) == {"SH", "BJ-CY"}


def test_a_branch_with_sub_branches_cannot_change_level(org_tree):
    from django.core.exceptions import ValidationError

    from accounts.services import org_upsert

    with pytest.raises(ValidationError, match="层级"):
        org_upsert(
            pk=org_tree.bj.pk, code="BJ", name_zh="北京分行", kind=Organisation.Kind.SUB_BRANCH, parent=org_tree.sh
        )
    assert _fresh(org_tree.bj).kind == Organisation.Kind.BRANCH


def test_admin_rename_updates_the_same_organisation(client, org_tree, make_user):
    from django.urls import reverse

    admin_user = make_user(roles.ADMIN, org_tree.ho)
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    url = reverse("admin:accounts_organisation_change", args=[org_tree.bj.pk])
    data = {
        "code": "BJN",
        "name_zh": "北京分行",
        "name_en": "",
        "kind": "branch",
        "parent": org_tree.ho.pk,
        "is_active": "",
    }
    assert client.post(url, data).status_code == 302
    bj = _fresh(org_tree.bj)
    assert (bj.code, bj.path, bj.is_active, Organisation.objects.count()) == ("BJN", "HO/BJN/", False, 4)
    assert _fresh(org_tree.bj_cy).path == "HO/BJN/BJ-CY/"
    data.update(kind="sub_branch", parent=org_tree.sh.pk)
    page = client.post(url, data)
    assert page.status_code == 200 and "层级" in page.content.decode()  # a form error, not a 500
