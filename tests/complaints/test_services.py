"""complaint_register: the rules of a registration, and what it refuses."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from accounts import roles
from accounts.models import AuditEvent
from complaints.models import ClassificationCode, Complaint, Customer, CustomerCard, RoutingRule
from complaints.services import (
    CustomerInput,
    IntakeKeyReused,
    complaint_link_repeat,
    complaint_register,
    customer_reveal,
)
from tests.complaints.conftest import CARD, ID_NUMBER, MOBILE

pytestmark = pytest.mark.django_db


def test_register_creates_a_case_with_reference_codes_and_masked_customer(register, agent, org_tree):
    case = register()
    case.refresh_from_db()
    assert case.reference.startswith(f"VOC-{timezone.localdate().year}-")
    assert len(case.reference) == len("VOC-2026-0001234")
    assert case.combined_code == "A0302-B030202-C03"
    assert case.status == "registered"
    assert case.created_by == agent
    assert case.accepted_at is not None
    assert case.due_date is not None  # the workflow hook started the clock
    customer = case.customer
    assert customer.salutation == "张先生"
    assert customer.mobile_masked == "138****5678"
    assert MOBILE not in customer.mobile_hash
    assert MOBILE not in customer.mobile_masked


def test_references_are_unique_and_increasing(register):
    refs = [register().reference for _ in range(3)]
    assert len(set(refs)) == 3
    assert refs == sorted(refs)


def test_returning_customer_is_found_by_mobile_not_duplicated(register):
    first = register()
    second = register(customer=CustomerInput(name="张伟", title="mr", mobile="+86 138-1234-5678"))
    assert second.customer_id == first.customer_id
    assert Customer.objects.count() == 1


def test_customer_found_by_id_number_and_details_filled_in(register):
    first = register(customer=CustomerInput(name="李娜", title="ms", id_number=ID_NUMBER))
    second = register(customer=CustomerInput(name="李娜", title="ms", id_number=ID_NUMBER.lower(), mobile=MOBILE))
    assert second.customer_id == first.customer_id
    customer = Customer.objects.get()
    assert customer.id_number_masked == "1****************X"
    assert customer.mobile_masked == "138****5678"


def test_card_kept_as_first6_last4_only(register, org_tree):
    case = register(customer=CustomerInput(name="张伟", mobile=MOBILE, card_number=CARD))
    card = CustomerCard.objects.get(customer=case.customer)
    assert (card.first6, card.last4) == ("622202", "7890")
    assert str(card) == "622202******7890"


def test_full_card_number_typed_into_details_is_stored_masked(register):
    case = register(details="客户卡号6222021234567890，手机13812345678，安全码123。")
    case.refresh_from_db()
    assert "6222021234567890" not in case.details
    assert "622202******7890" in case.details
    assert "13812345678" not in case.details
    assert "安全码123" not in case.details


def test_summary_is_masked_too(register):
    case = register(summary="卡号 6222 0212 3456 7890 被盗刷")
    assert "3456" not in Complaint.objects.get(pk=case.pk).summary


def test_repeat_within_window_is_flagged_and_linked(register):
    first = register()
    second = register()
    assert second.is_repeat and second.repeat_of == first
    assert not Complaint.objects.get(pk=first.pk).is_repeat


def test_different_b_code_is_not_a_repeat(register):
    register()
    other = register(code_b="B030203")
    assert not other.is_repeat and other.repeat_of is None


def test_case_older_than_window_is_not_a_repeat(register, settings):
    settings.COMPLAINT_REPEAT_WINDOW_DAYS = 90
    register(received_at=timezone.now() - dt.timedelta(days=91))
    assert not register().is_repeat


def test_repeat_window_is_a_setting(register, settings):
    settings.COMPLAINT_REPEAT_WINDOW_DAYS = 120
    old = register(received_at=timezone.now() - dt.timedelta(days=100))
    assert register().repeat_of == old


def test_default_routing_is_customer_home_branch_else_head_office(register, org_tree):
    assert register().responsible_org == org_tree.bj_cy
    no_home = register(customer=CustomerInput(name="王芳", title="ms", mobile="13900001111"))
    assert no_home.responsible_org == org_tree.ho


def test_routing_rule_by_b_prefix_and_channel_wins_in_priority_order(register, org_tree):
    RoutingRule.objects.create(priority=20, code_b_prefix="B03", target="org", target_org=org_tree.bj)
    RoutingRule.objects.create(
        priority=10, code_b_prefix="B0302", channel="hotline", target="org", target_org=org_tree.sh
    )
    assert register().responsible_org == org_tree.sh
    assert register(channel="app").responsible_org == org_tree.bj
    assert register(code_b="B0101").responsible_org == org_tree.bj_cy  # no rule: home branch


def test_card_branch_rule_uses_the_issuing_org(register, org_tree):
    RoutingRule.objects.create(priority=1, code_b_prefix="B0302", target="card_branch")
    customer = CustomerInput(name="张伟", mobile=MOBILE, card_number=CARD, card_issuing_org=org_tree.sh)
    assert register(customer=customer).responsible_org == org_tree.sh
    # No card on this case: the rule cannot name an org, so the default (home branch) applies.
    assert register(code_b="B030203").responsible_org == org_tree.bj_cy


def test_inactive_rule_is_ignored(register, org_tree):
    RoutingRule.objects.create(priority=1, target="org", target_org=org_tree.sh, is_active=False)
    assert register().responsible_org == org_tree.bj_cy


def test_regulator_channel_needs_reference_and_sets_flag(register):
    with pytest.raises(ValidationError) as err:
        register(channel="regulator")
    assert "regulator_reference" in err.value.message_dict
    case = register(channel="regulator", regulator_reference="JG-2026-001")
    assert case.is_regulator_referred


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code_a": ""}, "code_a"),
        ({"code_b": "B9999"}, "code_b"),  # unknown
        ({"code_b": "B03"}, "code_b"),  # not a leaf
        ({"code_b": "A0302"}, "code_b"),  # wrong axis
        ({"code_c": "X01"}, "code_c"),  # bad format
        ({"summary": "  "}, "summary"),
        ({"summary": "长" * 201}, "summary"),
        ({"details": "长" * 5001}, "details"),
        ({"channel": "fax"}, "channel"),
        ({"demand": "money"}, "demand"),
        ({"disputed_amount": "-5"}, "disputed_amount"),
        ({"disputed_amount": "abc"}, "disputed_amount"),
        ({"received_at": timezone.now() + dt.timedelta(days=1)}, "received_at"),
        ({"customer": CustomerInput(name="张伟", mobile="1381234")}, "mobile"),
        ({"customer": CustomerInput(name="张伟", id_number="110105194912310021")}, "id_number"),
        ({"customer": CustomerInput(name="", mobile=MOBILE)}, "customer_name"),
        ({"customer": CustomerInput(name="张伟")}, "mobile"),
        ({"customer": CustomerInput(name="张伟", mobile=MOBILE, card_number="1234")}, "card_number"),
    ],
)
def test_bad_input_gets_a_field_message_and_saves_nothing(register, overrides, field):
    with pytest.raises(ValidationError) as err:
        register(**overrides)
    assert field in err.value.message_dict
    assert err.value.message_dict[field][0]
    assert Complaint.objects.count() == 0
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field", "zh_message", "en_message"),
    [
        ({"summary": "  "}, "summary", "请填写投诉摘要", "Summary is required"),
        (
            {"summary": "长" * 201},
            "summary",
            "摘要最多 200 字（现 201 字）",
            "Summary is too long: at most 200 characters (now 201)",
        ),
        ({"disputed_amount": "abc"}, "disputed_amount", "金额格式不正确", "Invalid amount"),
        (
            {"customer": CustomerInput(name="张伟")},
            "mobile",
            "请填写手机号或证件号，以便识别客户",
            "Give the mobile or ID number",
        ),
    ],
)
def test_intake_messages_are_in_the_active_language_only(register, overrides, field, zh_message, en_message):
    """Issue 14: complaints/services raise one message in the user's language, not "中文 / English"."""
    with pytest.raises(ValidationError) as zh:
        register(**overrides)
    with translation.override("en"), pytest.raises(ValidationError) as en:
        register(**overrides)
    assert zh.value.message_dict[field] == [zh_message]
    assert en.value.message_dict[field] == [en_message]


def test_retired_code_is_refused_for_a_new_case(register):
    ClassificationCode.objects.filter(code="B030202").update(is_active=False)
    from complaints.taxonomy_selectors import taxonomy_cache_clear

    taxonomy_cache_clear()
    with pytest.raises(ValidationError) as err:
        register()
    assert "停用" in err.value.message_dict["code_b"][0]


def test_out_of_scope_org_is_refused(org_tree, make_user, intake_input):
    handler = make_user(roles.BRANCH_HANDLER, org_tree.sh)
    with pytest.raises(ValidationError) as err:
        complaint_register(actor=handler, **intake_input())  # home org BJ-CY is not SH's
    assert "home_org" in err.value.message_dict
    assert Complaint.objects.count() == 0


def test_auditor_cannot_register(org_tree, make_user, intake_input):
    with pytest.raises(PermissionDenied):
        complaint_register(actor=make_user(roles.AUDITOR, org_tree.ho), **intake_input())


def test_public_submission_only_on_web_channel(intake_input):
    with pytest.raises(ValidationError):
        complaint_register(actor=None, **intake_input())
    case = complaint_register(actor=None, **intake_input(channel="web"))
    assert case.created_by is None


def test_same_intake_key_returns_the_same_case(register):
    first = register(intake_key="form:abc", fingerprint="f1")
    again = register(intake_key="form:abc", fingerprint="f1")
    assert again.pk == first.pk and again.intake_replayed
    assert Complaint.objects.count() == 1


def test_same_key_with_different_body_is_refused(register):
    register(intake_key="api:1:k", fingerprint="f1")
    with pytest.raises(IntakeKeyReused):
        register(intake_key="api:1:k", fingerprint="f2", summary="另一件事")
    assert Complaint.objects.count() == 1


def test_failed_registration_does_not_burn_the_key(register):
    with pytest.raises(ValidationError):
        register(intake_key="form:x", summary="")
    assert register(intake_key="form:x").pk


def test_link_repeat_marks_case_and_is_audited(register, agent):
    first = register()
    other = register(code_b="B030203")
    complaint_link_repeat(actor=agent, complaint=other, repeat_of=first)
    other.refresh_from_db()
    assert other.is_repeat and other.repeat_of == first
    assert AuditEvent.objects.filter(action="complaint.link_repeat", object_id=str(other.pk)).exists()


def test_link_repeat_refuses_another_customers_case(register, agent):
    first = register()
    other = register(customer=CustomerInput(name="王芳", mobile="13900001111"))
    with pytest.raises(ValidationError):
        complaint_link_repeat(actor=agent, complaint=other, repeat_of=first)
    assert not Complaint.objects.get(pk=other.pk).is_repeat


def test_reveal_is_for_unmask_roles_and_audited(register, org_tree, make_user, agent):
    case = register(customer=CustomerInput(name="张伟", mobile=MOBILE, id_number=ID_NUMBER))
    with pytest.raises(PermissionDenied):
        customer_reveal(actor=agent, customer=case.customer)
    officer = make_user(roles.HO_OFFICER, org_tree.ho)
    shown = customer_reveal(actor=officer, customer=case.customer, complaint=case)
    assert shown == {"mobile": MOBILE, "id_number": ID_NUMBER}
    event = AuditEvent.objects.get(action="customer.unmask", actor=officer)
    assert event.detail["complaint_id"] == case.pk and event.detail["case_reference"] == case.reference  # which case


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_with_one_key_create_one_case(agent, intake_input):
    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    results, errors, barrier = [], [], threading.Barrier(2)

    def post():
        from django.db import connections

        barrier.wait()
        try:
            results.append(complaint_register(actor=agent, intake_key="form:race", **intake_input()).pk)
        except Exception as exc:  # surfaced below; a thread's exception is otherwise lost
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(results) == 2 and results[0] == results[1]
    assert Complaint.objects.count() == 1


def test_rule_saved_in_the_admin_applies_to_the_next_registration(
    register, org_tree, rf, django_capture_on_commit_callbacks
):
    from django.contrib import admin

    assert register().responsible_org == org_tree.bj_cy  # the (empty) rule list is now cached
    rule = RoutingRule(priority=1, code_b_prefix="B0302", target="org", target_org=org_tree.sh)
    with django_capture_on_commit_callbacks(execute=True):
        admin.site._registry[RoutingRule].save_model(rf.post("/"), rule, form=None, change=False)
    assert register(code_b="B030203").responsible_org == org_tree.sh


def test_id_number_match_outranks_an_older_mobile_match(register):
    by_mobile = register(customer=CustomerInput(name="张伟", title="mr", mobile=MOBILE))
    by_id = register(customer=CustomerInput(name="李娜", title="ms", id_number=ID_NUMBER))
    both = register(customer=CustomerInput(name="李娜", title="ms", mobile=MOBILE, id_number=ID_NUMBER))
    assert by_mobile.customer_id < by_id.customer_id
    assert both.customer_id == by_id.customer_id
