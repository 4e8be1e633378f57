"""Issue 14 (intake): a returning customer is prefilled, registers without retyping her name,
and a rejected submit keeps everything the agent saw and typed (rendered by the server)."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import AuditEvent
from complaints.models import ClassificationCode, Complaint, Customer
from complaints.services import CustomerInput
from tests.complaints.conftest import MOBILE
from tests.complaints.test_pages import _form_token, _post_data

pytestmark = pytest.mark.django_db

NEW_MOBILE = "13900001111"


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def li(register):
    """李女士 with four earlier complaints (the issue's customer), oldest first."""
    customer = CustomerInput(name="李娜", title="ms", mobile=MOBILE)
    return [register(customer=customer, code_b=b) for b in ("B030202", "B030203", "B0101", "B030202")]


def _radio_checked(html: str, value: str) -> bool:
    tag = re.search(rf'<input[^>]*name="customer_title"[^>]*value="{value}"[^>]*>', html).group(0)
    return "checked" in tag


def test_lookup_prefills_a_returning_customers_title_and_name_field(agent_client, li):
    html = agent_client.post(reverse("complaints:intake_customer"), {"mobile": MOBILE}).content.decode()
    oob = html[html.index('id="customer-identity" hx-swap-oob="true"') :]
    assert _radio_checked(oob, "ms")  # the title on file, still a radio the agent can change
    name_input = re.search(r'<input[^>]*name="customer_name"[^>]*>', oob).group(0)
    assert "李女士" in name_input and "required" not in name_input
    assert 'id="name-hint"' in oob
    # How she is addressed, never her full name or number, to whoever typed a number.
    assert "李娜" not in html and MOBILE not in html
    assert all(case.reference in html for case in li)


def test_lookup_keeps_what_the_agent_already_typed(agent_client, li):
    html = agent_client.post(
        reverse("complaints:intake_customer"), {"mobile": MOBILE, "customer_name": "李娜", "customer_title": "mr"}
    ).content.decode()
    oob = html[html.index('id="customer-identity"') :]
    assert 'value="李娜"' in oob and _radio_checked(oob, "mr")


def test_lookup_of_a_new_number_leaves_the_name_to_the_agent(agent_client, li):
    html = agent_client.post(reverse("complaints:intake_customer"), {"mobile": NEW_MOBILE}).content.decode()
    oob = html[html.index('id="customer-identity"') :]
    assert "李女士" not in oob and 'id="name-hint"' not in oob and _radio_checked(oob, "unknown")


def test_returning_customer_registers_without_retyping_her_name(agent_client, li):
    token = _form_token(agent_client.get(reverse("complaints:intake")).content.decode())
    response = agent_client.post(reverse("complaints:intake"), _post_data(token, customer_name="", customer_title="ms"))
    assert response.status_code == 302
    case = Complaint.objects.exclude(pk__in=[c.pk for c in li]).get()
    assert case.customer_id == li[0].customer_id
    assert Customer.objects.count() == 1
    assert Customer.objects.get().name == "李娜"  # the name on file is kept


def test_returning_customer_with_a_typed_name_links_to_the_same_customer(agent_client, li):
    token = _form_token(agent_client.get(reverse("complaints:intake")).content.decode())
    response = agent_client.post(reverse("complaints:intake"), _post_data(token, customer_name="李娜"))
    assert response.status_code == 302
    assert Customer.objects.count() == 1 and Complaint.objects.filter(customer=li[0].customer).count() == 5


def test_new_customer_still_needs_a_name(agent_client, li):
    token = _form_token(agent_client.get(reverse("complaints:intake")).content.decode())
    response = agent_client.post(reverse("complaints:intake"), _post_data(token, customer_name="", mobile=NEW_MOBILE))
    assert response.status_code == 422
    assert 'id="err-customer_name"' in response.content.decode()
    assert Customer.objects.count() == 1 and Complaint.objects.count() == 4


def test_service_registers_a_known_customer_without_a_name_and_refuses_a_new_one(register, li):
    case = register(customer=CustomerInput(name="", mobile=MOBILE))
    assert case.customer_id == li[0].customer_id
    with pytest.raises(ValidationError) as exc:
        register(customer=CustomerInput(name="", mobile=NEW_MOBILE))
    assert "customer_name" in exc.value.message_dict
    assert Customer.objects.count() == 1


def test_rejected_submit_keeps_panel_earlier_cases_code_names_and_typed_values(agent_client, li):
    token = _form_token(agent_client.get(reverse("complaints:intake")).content.decode())
    linked = li[1]
    data = _post_data(
        token,
        customer_name="",
        customer_title="ms",
        summary="",  # the error
        details="客户称年费再次被扣",
        disputed_amount="88.50",
        repeat_of=linked.reference,
    )
    response = agent_client.post(reverse("complaints:intake"), data)
    html = response.content.decode()
    assert response.status_code == 422 and 'id="err-summary"' in html
    panel = html[html.index('id="customer-panel"') : html.index('id="customer-identity"')]
    assert 'data-customer-found="1"' in panel and "李女士" in panel
    assert all(case.reference in panel for case in li)  # the earlier complaints
    assert re.search(rf'class="chip primary" data-link-repeat="{linked.reference}"', panel)  # still linked
    assert f'name="repeat_of" value="{linked.reference}"' in html
    for field, code in (("code_a", "A0302"), ("code_b", "B030202"), ("code_c", "C03")):
        name = ClassificationCode.objects.get(code=code).name_zh
        assert re.search(rf'id="name-{field}"[^>]*>{re.escape(name)}</span>', html)
        assert f'value="{code}"' in html
    assert "客户称年费再次被扣" in html and 'value="88.50"' in html and _radio_checked(html, "ms")
    assert 'id="repeat-warning"' in html and li[3].reference in html  # same B code: the warning too
    assert "李娜" not in html
    assert Complaint.objects.count() == 4


def test_rejected_submit_for_a_new_customer_shows_no_panel_and_a_blank_code_name(agent_client):
    token = _form_token(agent_client.get(reverse("complaints:intake")).content.decode())
    data = _post_data(token, mobile=NEW_MOBILE, code_b="NOPE", summary="")
    html = agent_client.post(reverse("complaints:intake"), data).content.decode()
    assert "data-customer-found" not in html and "新客户" in html
    assert re.search(r'id="name-code_b"[^>]*></span>', html)
    assert 'value="NOPE"' in html
    assert not AuditEvent.objects.filter(action="customer.lookup").exists()
