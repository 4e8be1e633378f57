"""Shared fixtures. The org tree is deliberately unequal (QUALITY.md): branch BJ
has a sub-branch, SH has none, so a scoping bug shows up as a wrong count."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from accounts import roles
from accounts.models import Organisation, User
from tests.accounts.factories import OrganisationFactory, UserFactory


@dataclass
class OrgTree:
    ho: Organisation
    bj: Organisation
    bj_cy: Organisation
    sh: Organisation


@pytest.fixture
def org_tree(db) -> OrgTree:
    ho = OrganisationFactory(code="HO", name_zh="总行", kind=Organisation.Kind.HEAD_OFFICE, parent=None)
    bj = OrganisationFactory(code="BJ", name_zh="北京分行", kind=Organisation.Kind.BRANCH, parent=ho)
    bj_cy = OrganisationFactory(code="BJ-CY", name_zh="朝阳支行", kind=Organisation.Kind.SUB_BRANCH, parent=bj)
    sh = OrganisationFactory(code="SH", name_zh="上海分行", kind=Organisation.Kind.BRANCH, parent=ho)
    return OrgTree(ho=ho, bj=bj, bj_cy=bj_cy, sh=sh)


@pytest.fixture
def make_user(db):
    def make(role: str, org: Organisation, username: str | None = None) -> User:
        name = username or f"{role}_{org.code.lower().replace('-', '_')}"
        return UserFactory(username=name, org=org, roles=(role,))

    return make


@pytest.fixture
def ho_officer(org_tree, make_user) -> User:
    return make_user(roles.HO_OFFICER, org_tree.ho)


@pytest.fixture
def bj_manager(org_tree, make_user) -> User:
    return make_user(roles.BRANCH_MANAGER, org_tree.bj)


@pytest.fixture
def sh_manager(org_tree, make_user) -> User:
    return make_user(roles.BRANCH_MANAGER, org_tree.sh)
