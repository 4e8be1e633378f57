"""The signed-in user is read with their organisation and roles in one query
(``accounts.backends.UserBackend``), and answers the same as a user read plainly."""

from __future__ import annotations

import pytest

from accounts import roles
from accounts.backends import UserBackend
from accounts.models import RoleGrant, User

pytestmark = pytest.mark.django_db


def test_one_query_gives_the_user_their_org_and_roles(org_tree, make_user, django_assert_num_queries):
    user = make_user(roles.BRANCH_MANAGER, org_tree.bj)
    RoleGrant.objects.create(user=user, role=roles.LISTENING_MANAGER)
    with django_assert_num_queries(1):
        got = UserBackend().get_user(user.pk)
        assert got.org.code == "BJ" and not got.at_head_office
        assert got.role_set == {roles.BRANCH_MANAGER, roles.LISTENING_MANAGER}
    assert got.role_set == User.objects.get(pk=user.pk).role_set


def test_a_user_without_roles_has_none_and_an_inactive_user_is_not_signed_in(org_tree, make_user):
    user = make_user(roles.BRANCH_HANDLER, org_tree.bj)
    RoleGrant.objects.filter(user=user).delete()
    assert UserBackend().get_user(user.pk).role_set == frozenset()
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert UserBackend().get_user(user.pk) is None
    assert UserBackend().get_user(10**9) is None


def test_the_signed_in_request_uses_it(client, org_tree, make_user):
    user = make_user(roles.HO_OFFICER, org_tree.ho)
    client.force_login(user)
    assert client.session["_auth_user_backend"] == "accounts.backends.UserBackend"
    assert client.get("/").status_code in (200, 302)
