"""Daily handling on the case page (issue 14): accept and investigate in one step, the redraft
after a return, the next step first, the handler calling the customer, root-cause pickers with
leaf codes enforced, and internal notes that say the customer does not see them."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from complaints.services import CustomerInput, customer_find_or_create
from workflow import services
from workflow.errors import ActionDenied, InvalidInput
from workflow.models import CaseTransition, Decision

from .conftest import at, fresh, put

pytestmark = pytest.mark.django_db

MOBILE, ID_NUMBER = "17012348369", "11010519491231002X"


def _routed(new_case, org_tree, staff, **kwargs):
    c = new_case(org_tree.bj, received_at=at(2026, 11, 30, 9), **kwargs)
    services.case_route(complaint_id=c.pk, actor=staff.ho_officer, now=at(2026, 11, 30, 9, 30))
    return fresh(c)


def _draft(c, actor, *, text="经核实，退还年费 300 元。", now=None, **kw):
    return services.case_draft_decision(
        complaint_id=c.pk,
        actor=actor,
        text=text,
        proposed_result=kw.get("proposed_result", "upheld"),
        redress_amount=kw.get("redress_amount", "300"),
        redress_type=kw.get("redress_type", "refund"),
        root_cause=kw.get("root_cause", "C0202"),
        now=now,
    )


def _case_page(client, user, c):
    client.force_login(user)
    resp = client.get(reverse("workflow:case", args=[c.pk]))
    assert resp.status_code == 200
    return resp.content.decode()


def _action_order(html: str) -> list[str]:
    return re.findall(r'<details class="wf-action" data-action="([a-z_]+)"', html)


def _open_actions(html: str) -> list[str]:
    return re.findall(r'<details class="wf-action" data-action="([a-z_]+)" open>', html)


# --- 受理并开始调查 ---------------------------------------------------------------------------


def test_accept_and_investigate_logs_both_transitions_with_one_actor_and_time(org_tree, staff, new_case):
    c = _routed(new_case, org_tree, staff)
    when = at(2026, 11, 30, 10, 5)
    services.case_accept_and_investigate(complaint_id=c.pk, actor=staff.bj_handler, reason="已联系客户", now=when)
    c = fresh(c)
    assert c.status == "investigating"
    assert c.assigned_to == staff.bj_handler  # an unassigned case: the handler who accepts takes it
    assert c.accepted_at == when and c.first_response_at == when
    steps = list(
        CaseTransition.objects.filter(complaint=c, action__in=["accept", "start_investigation"])
        .order_by("id")
        .values_list("action", "from_state", "to_state", "actor_id", "at")
    )
    assert steps == [
        ("accept", "routed", "accepted", staff.bj_handler.pk, when),
        ("start_investigation", "accepted", "investigating", staff.bj_handler.pk, when),
    ]


def test_accept_and_investigate_is_refused_outside_routed_and_for_other_roles(org_tree, staff, new_case):
    c = _routed(new_case, org_tree, staff)
    with pytest.raises(ActionDenied):
        services.case_accept_and_investigate(complaint_id=c.pk, actor=staff.ho_officer)
    assert fresh(c).status == "routed"
    other = put(new_case(org_tree.bj), "routed", assigned_to=staff.bj_handler2)
    with pytest.raises(ActionDenied, match="其他经办人"):
        services.case_accept_and_investigate(complaint_id=other.pk, actor=staff.bj_handler)
    services.case_accept(complaint_id=c.pk, actor=staff.bj_handler)
    with pytest.raises(ActionDenied, match="分行已受理"):
        services.case_accept_and_investigate(complaint_id=c.pk, actor=staff.bj_handler)
    # the refusal is on the case's log, nothing else moved
    c = fresh(c)
    assert c.status == "accepted"
    assert not CaseTransition.objects.filter(complaint=c, action="start_investigation").exists()
    assert CaseTransition.objects.filter(complaint=c, action="refused", data__action="accept_and_investigate").exists()


def test_handler_sees_accept_and_investigate_first_and_open(client, org_tree, staff, new_case):
    c = _routed(new_case, org_tree, staff)
    html = _case_page(client, staff.bj_handler, c)
    assert _action_order(html)[0] == "accept_and_investigate"
    assert "accept_and_investigate" in _open_actions(html) and "accept" not in _open_actions(html)
    resp = client.post(
        reverse("workflow:act", args=[c.pk, "accept_and_investigate"]),
        {"accept_and_investigate-version": services.version_of(c)},
    )
    assert resp.status_code == 302
    assert fresh(c).status == "investigating"


# --- the draft: next step first; the redraft keeps the last draft and shows the return -----------


def test_after_drafting_the_primary_step_is_submit_and_the_draft_form_folds(client, org_tree, staff, new_case):
    c = put(_routed(new_case, org_tree, staff), "investigating", assigned_to=staff.bj_handler)
    _draft(c, staff.bj_handler)
    html = _case_page(client, staff.bj_handler, fresh(c))
    order = _action_order(html)
    assert order[0] == "submit_for_review"
    assert "submit_for_review" in _open_actions(html) and "draft_decision" not in _open_actions(html)
    assert 'class="primary" data-submit="submit_for_review"' in html
    assert 'class="" data-submit="draft_decision">修改处理意见<' in html


def test_returned_draft_is_prefilled_with_the_review_comment_above_it(client, org_tree, staff, new_case):
    c = put(_routed(new_case, org_tree, staff), "investigating", assigned_to=staff.bj_handler)
    _draft(c, staff.bj_handler, text="经核实，退还年费 300 元。\n已电话告知客户。", root_cause="C0103")
    services.case_submit_for_review(complaint_id=c.pk, actor=staff.bj_handler)
    services.case_review(complaint_id=c.pk, actor=staff.ho_approver, approve=False, comment="请补充交易流水核对结果")
    html = _case_page(client, staff.bj_handler, fresh(c))
    assert "draft_decision" in _open_actions(html)
    form = html[html.index('data-action="draft_decision"') :]
    note = form.index('id="wf-return-note"')
    assert "请补充交易流水核对结果" in form[note : note + 600]
    assert note < form.index('name="draft_decision-text"')  # above the form's fields
    assert "经核实，退还年费 300 元。\n已电话告知客户。</textarea>" in form
    assert 'value="C0103"' in form and '<option value="upheld" selected>' in form
    assert 'name="draft_decision-redress_amount" value="300.00"' in form
    # The decision panel is open after a return too (the comment is not folded away).
    assert re.search(r'<details class="wf-decision" open>', html)


def test_first_draft_form_is_blank(client, org_tree, staff, new_case):
    c = put(_routed(new_case, org_tree, staff), "investigating", assigned_to=staff.bj_handler)
    html = _case_page(client, staff.bj_handler, c)
    form = html[html.index('data-action="draft_decision"') :]
    assert 'id="wf-return-note"' not in form
    assert re.search(r'name="draft_decision-text"[^>]*>\s*</textarea>', form)


# --- root cause: a picker, and leaf codes enforced by the services -----------------------------


@pytest.mark.parametrize("code", ["C01", "C05"])
def test_a_non_leaf_root_cause_is_refused_with_a_clear_message(org_tree, staff, new_case, code):
    c = put(_routed(new_case, org_tree, staff), "investigating", assigned_to=staff.bj_handler)
    with pytest.raises(InvalidInput, match=f"请选择末级代码，{code} 还有下级"):
        _draft(c, staff.bj_handler, root_cause=code)
    assert not Decision.objects.filter(complaint=c).exists()


def test_non_leaf_root_cause_on_the_close_form_is_a_400_with_the_message(client, org_tree, staff, new_case):
    c = put(new_case(org_tree.bj), "responded", assigned_to=staff.bj_handler)
    client.force_login(staff.bj_manager)
    resp = client.post(
        reverse("workflow:act", args=[c.pk, "close"]),
        {
            "close-version": services.version_of(c),
            "close-result": "upheld",
            "close-redress_type": "none",
            "close-redress_amount": "0",
            "close-root_cause": "C02",
        },
    )
    assert resp.status_code == 400
    assert "请选择末级代码，C02 还有下级" in resp.content.decode()
    assert 'value="C02"' in resp.content.decode()  # what was typed is kept
    assert fresh(c).status == "responded"


def test_root_cause_fields_carry_the_leaf_picker(client, org_tree, staff, new_case):
    c = put(new_case(org_tree.bj), "responded", assigned_to=staff.bj_handler)
    html = _case_page(client, staff.bj_manager, c)
    url = reverse("complaints:taxonomy_search") + "?axis=C&amp;selectable=1"
    assert re.search(r'name="close-root_cause"[^>]*data-picker-url="' + re.escape(url), html) or re.search(
        r'data-picker-url="' + re.escape(url) + r'[^"]*"[^>]*name="close-root_cause"', html
    )
    assert "js/code-picker.js" in html
    # what the picker offers: active leaf C codes only
    client.force_login(staff.bj_handler)
    found = client.get(reverse("complaints:taxonomy_search"), {"axis": "C", "selectable": "1", "q": "C0"}).json()
    codes = {r["code"] for r in found["results"]}
    assert codes and all(r["is_leaf"] for r in found["results"]) and not codes & {"C01", "C02", "C05"}


# --- the handler calls the customer -------------------------------------------------------------


@pytest.fixture
def called_case(org_tree, staff, new_case):
    customer, _ = customer_find_or_create(data=CustomerInput(name="李娜", mobile=MOBILE, id_number=ID_NUMBER))
    return put(_routed(new_case, org_tree, staff, customer=customer), "investigating", assigned_to=staff.bj_handler)


def test_assigned_handler_reveals_the_phone_number_and_calls_it(client, staff, called_case):
    c = called_case
    html = _case_page(client, staff.bj_handler, c)
    assert MOBILE not in html and "查看手机号以致电客户" in html
    resp = client.post(reverse("complaints:reveal_customer", args=[c.reference]))
    shown = resp.content.decode()
    assert resp.status_code == 200
    assert f'href="tel:{MOBILE}"' in shown
    assert ID_NUMBER not in shown  # the phone number only
    event = AuditEvent.objects.get(action="customer.unmask", actor=staff.bj_handler)
    assert event.object_id == str(c.customer_id)
    assert event.detail["complaint_id"] == c.pk and event.detail["case_reference"] == c.reference
    assert event.detail["fields"] == ["mobile"]


@pytest.mark.parametrize("who", ["bj_handler2", "bj_cy_handler", "sh_manager", "sh_handler", "agent", "auditor"])
def test_others_still_see_the_mask_and_cannot_reveal(client, staff, called_case, who):
    user = getattr(staff, who)
    c = called_case
    client.force_login(user)
    page = client.get(reverse("workflow:case", args=[c.pk]))
    if page.status_code == 200:
        body = page.content.decode()
        assert MOBILE not in body and "查看手机号以致电客户" not in body and "tel:" not in body
    assert client.post(reverse("complaints:reveal_customer", args=[c.reference])).status_code == 404
    assert not AuditEvent.objects.filter(action="customer.unmask").exists()


@pytest.mark.parametrize("org", ["bj", "bj_cy"])
def test_the_branch_manager_over_the_case_reveals_the_phone_number(client, org_tree, staff, new_case, org):
    """DOMAIN.md gives the resolution to branch handlers and branch complaint managers: the manager
    over the case (its own branch or a sub-branch of it) may call the customer, assigned or not."""
    customer, _ = customer_find_or_create(data=CustomerInput(name="李娜", mobile=MOBILE, id_number=ID_NUMBER))
    c = put(new_case(getattr(org_tree, org), customer=customer), "investigating", assigned_to=staff.bj_handler)
    html = _case_page(client, staff.bj_manager, c)
    assert MOBILE not in html and "查看手机号以致电客户" in html
    shown = client.post(reverse("complaints:reveal_customer", args=[c.reference])).content.decode()
    assert f'href="tel:{MOBILE}"' in shown and ID_NUMBER not in shown  # the phone number only
    event = AuditEvent.objects.get(action="customer.unmask", actor=staff.bj_manager)
    assert event.detail["case_reference"] == c.reference and event.detail["fields"] == ["mobile"]


def test_the_reveal_rule_itself_holds_the_manager_to_the_cases_below_him(org_tree, staff, new_case, make_user):
    """Not only the scope's 404: the rule refuses a manager of another branch or of a sub-branch
    below the case's branch, an unassigned handler, head office's agent and auditor, and a manager
    no longer active."""
    from accounts import roles
    from accounts.selectors import can_reveal_mobile

    bj_case = put(new_case(org_tree.bj), "investigating")
    cy_case = put(new_case(org_tree.bj_cy), "investigating")
    cy_manager = make_user(roles.BRANCH_MANAGER, org_tree.bj_cy)
    assert can_reveal_mobile(staff.bj_manager, bj_case) and can_reveal_mobile(staff.bj_manager, cy_case)
    assert can_reveal_mobile(cy_manager, cy_case) and not can_reveal_mobile(cy_manager, bj_case)
    assert not can_reveal_mobile(staff.sh_manager, bj_case) and not can_reveal_mobile(staff.sh_manager, cy_case)
    assert not can_reveal_mobile(staff.bj_handler, bj_case)  # a handler: only once it is assigned to them
    assert not can_reveal_mobile(staff.agent, bj_case) and not can_reveal_mobile(staff.auditor, bj_case)
    staff.bj_manager.is_active = False
    assert not can_reveal_mobile(staff.bj_manager, bj_case)


def test_reassigned_case_can_no_longer_be_revealed_by_the_former_handler(client, staff, called_case):
    c = called_case
    services.case_assign(complaint_id=c.pk, actor=staff.bj_manager, handler_id=staff.bj_handler2.pk)
    client.force_login(staff.bj_handler)
    assert client.post(reverse("complaints:reveal_customer", args=[c.reference])).status_code == 404
    client.force_login(staff.bj_handler2)
    assert MOBILE in client.post(reverse("complaints:reveal_customer", args=[c.reference])).content.decode()


def test_head_office_still_reveals_both_numbers(client, staff, called_case):
    client.force_login(staff.ho_officer)
    shown = client.post(reverse("complaints:reveal_customer", args=[called_case.reference])).content.decode()
    assert MOBILE in shown and ID_NUMBER in shown
    assert AuditEvent.objects.get(actor=staff.ho_officer).detail["fields"] == ["mobile", "id_number"]


# --- internal note vs what the customer is told ------------------------------------------------


def test_note_and_decision_labels_say_who_sees_them(client, org_tree, staff, new_case):
    c = put(_routed(new_case, org_tree, staff), "investigating", assigned_to=staff.bj_handler)
    services.case_comment(complaint_id=c.pk, actor=staff.bj_handler, body="客户下午三点后方便接听", now=None)
    html = _case_page(client, staff.bj_handler, fresh(c))
    assert "内部备注（仅行内员工可见，不会发给客户）" in html
    assert "处理意见（总行审核通过后答复客户，客户会看到）" in html
    assert "备注/回复" not in html
    timeline = html[html.index('id="wf-timeline"') :] if 'id="wf-timeline"' in html else html
    assert "内部备注" in timeline


def test_english_labels(client, org_tree, staff, new_case):
    c = put(_routed(new_case, org_tree, staff), "investigating", assigned_to=staff.bj_handler)
    client.cookies["django_language"] = "en"
    html = _case_page(client, staff.bj_handler, c)
    assert "Internal note (staff only, never sent to the customer)" in html
    assert "Decision (told to the customer once head office approves it)" in html
    c2 = _routed(new_case, org_tree, staff)
    assert "Accept and start investigating" in _case_page(client, staff.bj_handler, c2)


def test_case_page_query_count_unchanged_for_a_returned_draft(
    client, org_tree, staff, new_case, django_assert_max_num_queries
):
    c = put(_routed(new_case, org_tree, staff), "investigating", assigned_to=staff.bj_handler)
    _draft(c, staff.bj_handler, now=at(2026, 11, 30, 11))
    services.case_submit_for_review(complaint_id=c.pk, actor=staff.bj_handler, now=at(2026, 11, 30, 12))
    services.case_review(
        complaint_id=c.pk, actor=staff.ho_approver, approve=False, comment="补充", now=at(2026, 11, 30, 13)
    )
    client.force_login(staff.bj_handler)
    client.get(reverse("workflow:case", args=[c.pk]))  # warm caches (taxonomy, calendar)
    with django_assert_max_num_queries(10):
        resp = client.get(reverse("workflow:case", args=[c.pk]))
    assert "补充" in resp.content.decode()


def test_the_handler_reveals_only_the_customer_of_their_case(staff, called_case):
    """The case opens the number of its own customer, not of any customer asked for with it."""
    from django.core.exceptions import PermissionDenied

    from complaints.services import customer_reveal

    other, _ = customer_find_or_create(data=CustomerInput(name="王强", mobile="13912345678"))
    with pytest.raises(PermissionDenied):
        customer_reveal(actor=staff.bj_handler, customer=other, complaint=called_case)
    assert (
        customer_reveal(actor=staff.bj_handler, customer=called_case.customer, complaint=called_case)["mobile"]
        == MOBILE
    )
    assert not AuditEvent.objects.filter(object_id=str(other.pk)).exists()
