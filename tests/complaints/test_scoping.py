"""Unequal fixtures (QUALITY.md): 3 cases in the BJ subtree, 5 in SH. Every list, search
and detail — page and API — shows a branch user exactly their own and 404s the rest."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts import roles
from complaints.models import Complaint
from tests.complaints.factories import ComplaintFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(org_tree):
    bj = [
        ComplaintFactory(responsible_org=org_tree.bj, summary="北京 年费争议"),
        ComplaintFactory(responsible_org=org_tree.bj_cy, summary="朝阳 年费争议"),
        ComplaintFactory(responsible_org=org_tree.bj_cy, summary="朝阳 年费争议二"),
    ]
    sh = [ComplaintFactory(responsible_org=org_tree.sh, summary=f"上海 年费争议{i}") for i in range(5)]
    return {"bj": bj, "sh": sh}


def _page_refs(client, **params) -> set[str]:
    html = client.get(reverse("complaints:list"), params).content.decode()
    return set(re.findall(r"VOC-\d{4}-\d{7}", html))


def _api_refs(client, **params) -> set[str]:
    body = client.get(reverse("complaints_api:complaint_list"), params).json()
    return {row["reference"] for row in body["results"]}


LISTS = {
    "page list": lambda c: _page_refs(c),
    "page search": lambda c: _page_refs(c, q="年费"),
    "api list": lambda c: _api_refs(c),
    "api search": lambda c: _api_refs(c, q="年费"),
}


@pytest.mark.parametrize("endpoint", LISTS)
@pytest.mark.parametrize(
    ("role", "org", "expected"),
    [
        (roles.BRANCH_MANAGER, "bj", "bj"),
        (roles.BRANCH_MANAGER, "sh", "sh"),
        (roles.BRANCH_HANDLER, "bj_cy", "bj_cy"),
        (roles.HO_OFFICER, "ho", "all"),
        (roles.AUDITOR, "ho", "all"),
    ],
)
def test_lists_show_exactly_the_users_subtree(client, org_tree, make_user, cases, endpoint, role, org, expected):
    client.force_login(make_user(role, getattr(org_tree, org)))
    refs = LISTS[endpoint](client)
    want = {
        "bj": {c.reference for c in cases["bj"]},
        "sh": {c.reference for c in cases["sh"]},
        "bj_cy": {c.reference for c in cases["bj"][1:]},
        "all": {c.reference for c in cases["bj"] + cases["sh"]},
    }[expected]
    assert refs == want
    assert len(refs) == {"bj": 3, "sh": 5, "bj_cy": 2, "all": 8}[expected]


DETAILS = {
    "page": lambda ref: reverse("workflow:case", args=[Complaint.objects.get(reference=ref).pk]),
    "api": lambda ref: reverse("complaints_api:complaint_detail", args=[ref]),
    "link-repeat": lambda ref: reverse("complaints:link_repeat", args=[ref]),
}


@pytest.mark.parametrize("kind", DETAILS)
def test_other_branchs_case_is_404_and_own_is_visible(client, bj_manager, sh_manager, cases, kind):
    client.force_login(bj_manager)
    own, other = cases["bj"][1].reference, cases["sh"][0].reference
    method = client.post if kind == "link-repeat" else client.get
    assert method(DETAILS[kind](other)).status_code == 404
    if kind != "link-repeat":
        assert method(DETAILS[kind](own)).status_code == 200


def test_sub_branch_user_gets_404_for_the_parent_branch_case(client, org_tree, make_user, cases):
    client.force_login(make_user(roles.BRANCH_HANDLER, org_tree.bj_cy))
    assert client.get(reverse("complaints:detail", args=[cases["bj"][0].reference])).status_code == 404


def test_head_office_sees_both_branches_details(client, ho_officer, cases):
    client.force_login(ho_officer)
    for case in (cases["bj"][0], cases["sh"][4]):
        assert client.get(reverse("workflow:case", args=[case.pk])).status_code == 200


def test_org_filter_outside_scope_returns_nothing_not_everything(client, bj_manager, cases):
    client.force_login(bj_manager)
    assert _page_refs(client, org="SH") == set()
    assert _api_refs(client, org="SH") == set()
    assert _api_refs(client, org="BJ-CY") == {c.reference for c in cases["bj"][1:]}
    assert _api_refs(client, org="NOPE") == set()


def test_customer_lookup_lists_only_cases_the_user_may_see(client, org_tree, make_user, cases):
    from complaints.models import Customer

    customer = Customer.objects.create(name="张伟", surname="张", title="mr", mobile_hash="x")
    from complaints.models import Complaint

    Complaint.objects.filter(pk__in=[cases["bj"][0].pk, cases["sh"][0].pk]).update(customer=customer)
    from complaints.selectors import customer_cases_for

    user = make_user(roles.BRANCH_MANAGER, org_tree.bj)
    assert [c.reference for c in customer_cases_for(user, customer)] == [cases["bj"][0].reference]


def test_a_repeat_of_another_branchs_case_does_not_name_that_case(client, cases, org_tree, make_user):
    earlier, repeat = cases["sh"][0], cases["bj"][0]
    repeat.repeat_of, repeat.is_repeat = earlier, True
    repeat.save(update_fields=["repeat_of", "is_repeat"])
    detail_page = reverse("workflow:case", args=[repeat.pk])
    detail_api = reverse("complaints_api:complaint_detail", args=[repeat.reference])

    client.force_login(make_user(roles.BRANCH_MANAGER, org_tree.bj))
    html = client.get(detail_page).content.decode()
    assert 'id="repeat-of"' not in html and earlier.reference not in html
    assert client.get(detail_api).json()["repeat_of"] is None
    listed = {
        r["reference"]: r["repeat_of"] for r in client.get(reverse("complaints_api:complaint_list")).json()["results"]
    }
    assert listed[repeat.reference] is None

    client.force_login(make_user(roles.HO_OFFICER, org_tree.ho))
    assert earlier.reference in client.get(detail_page).content.decode()
    assert client.get(detail_api).json()["repeat_of"] == earlier.reference


def test_api_list_costs_the_same_with_repeats(client, cases, org_tree, make_user, django_assert_max_num_queries):
    client.force_login(make_user(roles.HO_OFFICER, org_tree.ho))
    url = reverse("complaints_api:complaint_list")
    with django_assert_max_num_queries(20) as plain:
        client.get(url)
    for case in cases["sh"][1:]:
        case.repeat_of, case.is_repeat = cases["sh"][0], True
        case.save(update_fields=["repeat_of", "is_repeat"])
    with django_assert_max_num_queries(len(plain.captured_queries) + 1):  # one query names them all
        rows = client.get(url).json()["results"]
    assert sum(1 for r in rows if r["repeat_of"] == cases["sh"][0].reference) == 4
