"""Bulk dispatch and assign from the list: each row through its own service and transaction;
a row the user may not act on says why, the others succeed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from workflow.models import CaseTransition, InvolvedStaff
from workflow.services import involved_staff_add
from workflow.services.bulk import cases_bulk_act

from .conftest import fresh, put

pytestmark = pytest.mark.django_db


def test_bulk_dispatch_routes_each_case_and_explains_a_refusal(org_tree, staff, new_case):
    a, b = new_case(org_tree.bj), new_case(org_tree.sh)
    done = put(new_case(org_tree.bj), "routed")
    results = cases_bulk_act(actor=staff.ho_officer, action="route", complaint_ids=[a.pk, done.pk, b.pk])
    assert [(r.reference, r.ok) for r in results] == [(a.reference, True), (done.reference, False), (b.reference, True)]
    assert "不能执行「派发分行」" in results[1].message and "北京分行" in results[0].message
    assert (fresh(a).status, fresh(b).status, fresh(done).status) == ("routed", "routed", "routed")
    assert CaseTransition.objects.filter(complaint__in=[a, b], action="route").count() == 2


def test_bulk_assign_gives_each_case_to_the_handler_and_names_who_must_recuse(org_tree, staff, new_case):
    a, b = put(new_case(org_tree.bj), "routed"), put(new_case(org_tree.bj), "accepted")
    recused = put(new_case(org_tree.bj), "accepted")
    involved_staff_add(
        complaint_id=recused.pk, actor=staff.bj_manager, user_id=staff.bj_handler.pk, kind=InvolvedStaff.Kind.SUBJECT
    )
    elsewhere = put(new_case(org_tree.sh), "accepted")
    results = cases_bulk_act(
        actor=staff.bj_manager,
        action="assign",
        complaint_ids=[a.pk, recused.pk, elsewhere.pk, b.pk],
        handler_id=staff.bj_handler.pk,
    )
    assert [r.ok for r in results] == [True, False, False, True]
    assert "须回避" in results[1].message
    assert results[2].reference == "" and results[2].message == "投诉不存在"  # another branch's: not named
    assert fresh(a).assigned_to == fresh(b).assigned_to == staff.bj_handler
    assert fresh(recused).assigned_to is None and fresh(elsewhere).assigned_to is None


def test_a_handler_may_not_bulk_assign_and_a_read_only_role_is_refused_per_row(client, org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "accepted")
    client.force_login(staff.bj_handler)
    data = {"action": "assign", "case": [case.pk], "handler": staff.bj_handler.pk}
    assert client.post(reverse("workflow:bulk"), data).status_code == 404
    assert fresh(case).assigned_to is None


def test_the_list_posts_bulk_dispatch_and_gets_per_row_results(client, org_tree, staff, new_case):
    a = new_case(org_tree.bj)
    done = put(new_case(org_tree.sh), "closed")
    client.force_login(staff.ho_officer)
    html = client.get(reverse("complaints:list")).content.decode()
    assert 'id="bulk-form"' in html and f'name="case" value="{a.pk}" form="bulk-form"' in html
    data = {"action": "route", "case": [a.pk, done.pk, "x"], "next": reverse("complaints:list") + "?sort=due"}
    fragment = client.post(reverse("workflow:bulk"), data, headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in body
    assert "成功 1 件，未处理 1 件" in body and "已派发至 北京分行" in body and "已「已办结」，不能再办理" in body
    assert 'href="/complaints/?sort=due"' in body
    # the list's row of the dispatched case shows its new state; the refused one is left alone
    assert f'<span id="status-{a.pk}" hx-swap-oob="true">已派发分行</span>' in body and f"status-{done.pk}" not in body
    assert "hx-swap-oob" not in client.post(reverse("workflow:bulk"), data).content.decode()  # the results page
    page = client.post(reverse("workflow:bulk"), {"action": "route", "next": "https://evil.example/"})
    assert (
        page.status_code == 200 and "请先勾选" in page.content.decode() and "evil.example" not in page.content.decode()
    )


def test_more_cases_than_a_bulk_request_takes_are_refused_whole_with_a_message(
    client, org_tree, staff, new_case, monkeypatch
):
    """Beyond BULK_MAX the request is refused and says so: no case is touched (never a silent first 100)."""
    from workflow.services import bulk

    monkeypatch.setattr(bulk, "BULK_MAX", 2)
    monkeypatch.setattr("workflow.views_bulk.BULK_MAX", 2)
    cases = [new_case(org_tree.bj) for _ in range(3)]
    with pytest.raises(ValueError, match="一次最多批量处理 2 件，已勾选 3 件"):
        cases_bulk_act(actor=staff.ho_officer, action="route", complaint_ids=[c.pk for c in cases])
    client.force_login(staff.ho_officer)
    data = {"action": "route", "case": [c.pk for c in cases]}
    page = client.post(reverse("workflow:bulk"), data)
    assert page.status_code == 400 and "一次最多批量处理 2 件，已勾选 3 件" in page.content.decode()
    swapped = client.post(reverse("workflow:bulk"), data, HTTP_HX_REQUEST="true")
    assert swapped.status_code == 200 and 'id="bulk-too-many"' in swapped.content.decode()
    assert {fresh(c).status for c in cases} == {cases[0].status}  # none was dispatched
    assert not CaseTransition.objects.filter(complaint__in=cases, action="route").exists()
    two = client.post(reverse("workflow:bulk"), {"action": "route", "case": [cases[0].pk, cases[0].pk, cases[1].pk]})
    assert (
        two.status_code == 200 and fresh(cases[0]).status == fresh(cases[1]).status == "routed"
    )  # a repeat counts once
