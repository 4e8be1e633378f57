"""Free text typed around a case keeps no customer number: the regulator reference is
masked like the summary (service, intake page, case page, API, existing rows), and a
customer name refuses digits (service, intake page, API, public form)."""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from complaints.models import Complaint, Customer
from complaints.services import CustomerInput
from complaints.services.customers import customer_clean, name_has_digits
from tests.complaints.conftest import MOBILE
from tests.complaints.factories import ComplaintFactory

from .test_pages import _form_token, _post_data

pytestmark = pytest.mark.django_db

OTHER_MOBILE = "13987654321"
TYPED_REF = f"JG-2026-0042 客户电话{OTHER_MOBILE}"
MASKED_REF = "JG-2026-0042 客户电话139****4321"
NAME_ERROR = "姓名不能包含数字"


# --- regulator reference ---------------------------------------------------------------


def test_regulator_reference_is_stored_masked_and_a_plain_reference_is_kept(register):
    case = register(channel="regulator", regulator_reference=TYPED_REF)
    assert case.regulator_reference == MASKED_REF
    assert register(channel="regulator", regulator_reference="JG-2026-0043").regulator_reference == "JG-2026-0043"
    spelled = register(channel="regulator", regulator_reference="JG-2026-0044，幺三九八七六五四三二幺")
    assert spelled.regulator_reference == "JG-2026-0044，139****4321"
    # digit groups running on from a reference are masked with it (fail closed)
    assert register(channel="regulator", regulator_reference="JG-2026 13987654321").regulator_reference == (
        "JG-***********4321"
    )


def test_regulator_reference_typed_on_the_intake_page_is_masked_on_the_case_page(client, agent):
    client.force_login(agent)
    token = _form_token(client.get(reverse("complaints:intake")).content.decode())
    response = client.post(
        reverse("complaints:intake"),
        _post_data(token, channel="regulator", regulator_reference=TYPED_REF, regulator_received_on="2026-11-20"),
        follow=True,
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert Complaint.objects.get().regulator_reference == MASKED_REF
    assert MASKED_REF in page
    assert OTHER_MOBILE not in page


def test_regulator_reference_is_masked_in_the_api(agent, org_tree):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=agent).key}")
    body = {
        "channel": "regulator",
        "regulator_reference": TYPED_REF,
        "code_a": "A0302",
        "code_b": "B030202",
        "code_c": "C03",
        "summary": "信用卡年费争议",
        "customer": {"name": "张伟", "title": "mr", "mobile": MOBILE, "home_org": "BJ"},
    }
    created = api.post("/api/v1/complaints/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["regulator_reference"] == MASKED_REF
    detail = api.get(created.json()["url"])
    assert detail.json()["regulator_reference"] == MASKED_REF
    assert OTHER_MOBILE not in created.content.decode() + detail.content.decode()


def test_migration_masks_references_and_names_stored_before(org_tree):
    case = ComplaintFactory(responsible_org=org_tree.bj, regulator_reference=TYPED_REF)
    plain = ComplaintFactory(responsible_org=org_tree.bj, regulator_reference="JG-2026-0042")
    Customer.objects.filter(pk=case.customer_id).update(name=f"王{OTHER_MOBILE}", surname="王")
    numbered = ComplaintFactory(responsible_org=org_tree.bj).customer
    Customer.objects.filter(pk=numbered.pk).update(name="幺三九八七六五四三二幺", surname="幺")
    migration = importlib.import_module("complaints.migrations.0007_mask_regulator_reference_and_names")
    for _ in range(2):  # a rerun changes nothing
        migration.forwards(django_apps, None)
        case.refresh_from_db()
        plain.refresh_from_db()
        assert case.regulator_reference == MASKED_REF and plain.regulator_reference == "JG-2026-0042"
        assert (case.customer.__class__.objects.values_list("name", "surname").get(pk=case.customer_id)) == (
            "王139****4321",
            "王",
        )
        assert Customer.objects.values_list("name", "surname").get(pk=numbered.pk) == ("139****4321", "")


# --- customer name -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["张三1", "张伟 13812345678", "李娜１", "幺三八幺二三四五六七八", "一二三", "one three eight one two three four"],
)
def test_a_name_with_digits_or_only_numerals_is_refused(name):
    assert name_has_digits(name)
    with pytest.raises(ValidationError) as err:
        customer_clean(CustomerInput(name=name, title="mr", mobile=MOBILE))
    assert NAME_ERROR in err.value.message_dict["customer_name"][0]


@pytest.mark.parametrize("name", ["张三", "王一", "李四", "欧阳娜娜", "Li Wu", "张 Joe", "Double Lee"])
def test_ordinary_names_with_numeral_characters_are_accepted(name):
    assert not name_has_digits(name)
    assert customer_clean(CustomerInput(name=name, title="mr", mobile=MOBILE)).name == name


def test_intake_page_refuses_a_name_with_digits_on_the_field(client, agent):
    client.force_login(agent)
    token = _form_token(client.get(reverse("complaints:intake")).content.decode())
    response = client.post(reverse("complaints:intake"), _post_data(token, customer_name="张伟13812345678"))
    html = response.content.decode()
    assert response.status_code == 422
    assert re.search(r'id="err-customer_name"[^>]*><li>' + NAME_ERROR, html)
    assert Complaint.objects.count() == 0 and Customer.objects.count() == 0


def test_api_refuses_a_name_with_digits(agent, org_tree):
    api = APIClient()
    api.force_authenticate(agent)
    body = {
        "channel": "hotline",
        "code_a": "A0302",
        "code_b": "B030202",
        "code_c": "C03",
        "summary": "信用卡年费争议",
        "customer": {"name": "幺三八幺二三四五六七八", "title": "mr", "mobile": MOBILE, "home_org": "BJ"},
    }
    response = api.post("/api/v1/complaints/", body, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert NAME_ERROR in str(fields["customer.name"])
    assert Complaint.objects.count() == 0


def test_public_form_refuses_a_name_with_digits(client, org_tree):
    html = client.get(reverse("complaints:public_form")).content.decode()
    data = {
        "name": "李娜 139 0000 1111",
        "title": "ms",
        "mobile": "13900001111",
        "product": "B030202",
        "summary": "年费被多扣",
        "demand": "refund",
        "form_token": _form_token(html),
    }
    response = client.post(reverse("complaints:public_form"), data)
    assert response.status_code == 422
    assert NAME_ERROR in response.content.decode()
    assert Complaint.objects.count() == 0
