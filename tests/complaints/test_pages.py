"""Agent intake page, case page, list page and the public web form, through the test client."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts import roles
from accounts.models import AuditEvent
from complaints.models import Complaint
from tests.complaints.conftest import CARD, ID_NUMBER, MOBILE

pytestmark = pytest.mark.django_db


def _form_token(html: str) -> str:
    return re.search(r'name="form_token" value="([0-9a-f]{32})"', html).group(1)


def _post_data(token: str, **overrides) -> dict:
    data = {
        "form_token": token,
        "channel": "hotline",
        "mobile": MOBILE,
        "id_number": "",
        "customer_name": "张伟",
        "customer_title": "mr",
        "home_org": "",
        "card_number": "",
        "card_kind": "credit",
        "card_issuing_org": "",
        "code_a": "A0302",
        "code_b": "B030202",
        "code_c": "C03",
        "summary": "信用卡年费争议",
        "details": "客户称未激活即被收取年费",
        "demand": "fee_waiver",
        "disputed_amount": "300",
    }
    data.update(overrides)
    return data


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def test_intake_page_registers_a_case_and_redirects_to_it(agent_client, org_tree):
    html = agent_client.get(reverse("complaints:intake")).content.decode()
    assert 'data-code-picker="B"' in html
    response = agent_client.post(
        reverse("complaints:intake"), _post_data(_form_token(html), home_org=str(org_tree.bj.pk))
    )
    case = Complaint.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("workflow:case", args=[case.pk])
    assert case.responsible_org == org_tree.bj
    assert case.disputed_amount == 300


def test_same_form_posted_twice_creates_one_case(agent_client):
    token = _form_token(agent_client.get(reverse("complaints:intake")).content.decode())
    first = agent_client.post(reverse("complaints:intake"), _post_data(token))
    second = agent_client.post(reverse("complaints:intake"), _post_data(token), follow=True)
    assert Complaint.objects.count() == 1
    assert second.redirect_chain[-1][0] == first.url
    assert "该表单已提交过" in second.content.decode()


def test_missing_fields_are_reported_per_field_and_nothing_saved(agent_client):
    token = _form_token(agent_client.get(reverse("complaints:intake")).content.decode())
    response = agent_client.post(
        reverse("complaints:intake"), _post_data(token, code_b="", summary="", customer_name="")
    )
    html = response.content.decode()
    assert response.status_code == 422
    for field in ("code_b", "summary", "customer_name"):
        assert f'id="err-{field}"' in html
    assert Complaint.objects.count() == 0


def test_required_field_message_is_in_the_ui_language_only(agent_client):
    """Issue 14: a required field says 此项必填 in the Chinese UI and only "Required" in the English one."""
    token = _form_token(agent_client.get(reverse("complaints:intake")).content.decode())
    zh = agent_client.post(reverse("complaints:intake"), _post_data(token, summary="")).content.decode()
    assert "此项必填" in zh and "Required" not in zh
    agent_client.cookies["django_language"] = "en"
    en = agent_client.post(reverse("complaints:intake"), _post_data(token, summary="")).content.decode()
    assert "Required" in en and "此项必填" not in en


def test_service_rule_errors_land_on_the_field(agent_client):
    token = _form_token(agent_client.get(reverse("complaints:intake")).content.decode())
    response = agent_client.post(reverse("complaints:intake"), _post_data(token, code_b="B03", mobile="12345"))
    html = response.content.decode()
    assert response.status_code == 422
    assert "请选择末级代码" in html and 'id="err-code_b"' in html
    assert 'id="err-mobile"' in html
    assert Complaint.objects.count() == 0


def test_stale_form_token_is_refused(agent_client):
    response = agent_client.post(reverse("complaints:intake"), _post_data("not-a-token"))
    assert response.status_code == 422
    assert "表单已失效" in response.content.decode()
    assert Complaint.objects.count() == 0


def test_customer_lookup_shows_masked_identity_and_previous_cases(agent_client, register):
    earlier = register(
        customer=__import__("complaints.services", fromlist=["CustomerInput"]).CustomerInput(
            name="张伟", title="mr", mobile=MOBILE, id_number=ID_NUMBER
        )
    )
    html = agent_client.post(reverse("complaints:intake_customer"), {"mobile": "138 1234 5678"}).content.decode()
    assert "张先生" in html and "138****5678" in html
    assert earlier.reference in html
    assert MOBILE not in html and ID_NUMBER not in html and "张伟" not in html


def test_customer_lookup_is_audited_and_another_branch_sees_no_branch_or_cases(client, register, org_tree, make_user):
    earlier = register()  # the customer's home branch is BJ-CY
    sh_handler = make_user(roles.BRANCH_HANDLER, org_tree.sh)
    client.force_login(sh_handler)
    html = client.post(reverse("complaints:intake_customer"), {"mobile": MOBILE}).content.decode()
    assert 'data-customer-found="1"' in html and "张先生" in html  # a walk-in at SH is recognised
    assert org_tree.bj_cy.name_zh not in html and earlier.reference not in html
    event = AuditEvent.objects.get(action="customer.lookup")
    assert (event.actor, event.object_id, event.detail) == (sh_handler, str(earlier.customer_id), {"by": "mobile"})

    client.force_login(make_user(roles.BRANCH_MANAGER, org_tree.bj))  # BJ-CY is within BJ
    html = client.post(reverse("complaints:intake_customer"), {"mobile": MOBILE}).content.decode()
    assert org_tree.bj_cy.name_zh in html and earlier.reference in html
    client.post(reverse("complaints:intake_customer"), {"mobile": "139 0000 0000"})  # nobody: nothing to log
    client.post(reverse("complaints:intake_repeat_check"), {"mobile": MOBILE, "code_b": "B030202"})
    assert AuditEvent.objects.filter(action="customer.lookup").count() == 2


def test_customer_lookup_bad_number_gives_a_message(agent_client):
    response = agent_client.post(reverse("complaints:intake_customer"), {"mobile": "12"})
    assert response.status_code == 200
    assert "手机号码格式不正确" in response.content.decode()


def test_repeat_warning_links_the_earlier_case(agent_client, register):
    earlier = register()
    html = agent_client.post(
        reverse("complaints:intake_repeat_check"), {"mobile": MOBILE, "code_b": "B030202"}
    ).content.decode()
    assert "重复投诉提醒" in html and reverse("workflow:case", args=[earlier.pk]) in html
    other = agent_client.post(reverse("complaints:intake_repeat_check"), {"mobile": MOBILE, "code_b": "B0101"})
    assert "重复投诉提醒" not in other.content.decode()


def test_agent_links_a_different_code_case_from_the_form(agent_client, register):
    earlier = register(code_b="B030203")
    token = _form_token(agent_client.get(reverse("complaints:intake")).content.decode())
    agent_client.post(reverse("complaints:intake"), _post_data(token, repeat_of=earlier.reference))
    case = Complaint.objects.exclude(pk=earlier.pk).get()
    assert case.is_repeat and case.repeat_of == earlier


def test_card_number_in_details_is_shown_masked_on_the_case_page(agent_client, register):
    case = register(details="卡号 6222021234567890 被扣年费")
    html = agent_client.get(reverse("workflow:case", args=[case.pk])).content.decode()
    assert "622202******7890" in html and "6222021234567890" not in html
    assert "张先生" in html and "张伟" not in html
    assert "B030202" in html and "A0302-B030202-C03" in html


def test_detail_shows_repeat_links_both_ways(agent_client, register):
    first, second = register(), register()
    assert first.reference in agent_client.get(reverse("workflow:case", args=[second.pk])).content.decode()
    assert second.reference in agent_client.get(reverse("workflow:case", args=[first.pk])).content.decode()


def test_link_repeat_from_case_page(agent_client, register):
    first = register()
    other = register(code_b="B030203")
    agent_client.post(reverse("complaints:link_repeat", args=[other.reference]), {"repeat_of": first.reference})
    other.refresh_from_db()
    assert other.repeat_of == first


def test_reveal_full_numbers_only_for_unmask_roles_and_logged(client, register, org_tree, make_user, agent):
    from complaints.services import CustomerInput

    case = register(customer=CustomerInput(name="张伟", mobile=MOBILE, id_number=ID_NUMBER, card_number=CARD))
    url = reverse("complaints:reveal_customer", args=[case.reference])
    client.force_login(agent)
    assert client.post(url).status_code == 404
    officer = make_user(roles.HO_OFFICER, org_tree.ho)
    client.force_login(officer)
    detail = client.get(reverse("workflow:case", args=[case.pk])).content.decode()
    assert MOBILE not in detail and "查看完整号码" in detail
    shown = client.post(url).content.decode()
    assert MOBILE in shown and ID_NUMBER in shown
    assert AuditEvent.objects.filter(action="customer.unmask", actor=officer, object_id=str(case.customer_id)).exists()


def test_auditor_cannot_open_intake(client, org_tree, make_user):
    client.force_login(make_user(roles.AUDITOR, org_tree.ho))
    assert client.get(reverse("complaints:intake")).status_code == 404


def test_list_bad_filter_and_bad_cursor_get_a_message_not_500(agent_client, register):
    register()
    bad = agent_client.get(reverse("complaints:list"), {"received_from": "yesterday"})
    assert bad.status_code == 400 and "收到日期从：" in bad.content.decode() and bad.context["page"] is None
    words = agent_client.get(reverse("complaints:list"), {"code_b": "X1"})  # not a code: read as words
    assert words.status_code == 200 and "找不到与“X1”相符的B代码" in words.content.decode()
    assert words.context["page"].items == []
    cur = agent_client.get(reverse("complaints:list"), {"cursor": "garbage!"})
    assert cur.status_code == 400 and "无效的翻页游标" in cur.content.decode()


def test_public_form_gives_a_reference_and_reveals_nothing_internal(client, org_tree):
    html = client.get(reverse("complaints:public_form")).content.decode()
    data = {
        "name": "李娜",
        "title": "ms",
        "mobile": "139 0000 1111",
        "product": "B030202",
        "summary": "年费被多扣",
        "details": "我的卡号 6222021234567890",
        "demand": "refund",
        "form_token": _form_token(html),
    }
    response = client.post(reverse("complaints:public_form"), data, follow=True)
    page = response.content.decode()
    case = Complaint.objects.get()
    assert case.channel == "web" and case.created_by is None
    assert case.reference in page
    assert org_tree.ho.name_zh not in page.split("</header>")[1]  # no routing, codes or staff shown
    assert "B030202" not in page and "6222021234567890" not in case.details


def _public_posts(client, headers: list[dict]) -> list[int]:
    """One public-form submission per entry of ``headers`` (extra request META), each with a fresh token."""
    html = client.get(reverse("complaints:public_form")).content.decode()
    base = {
        "name": "李娜",
        "title": "ms",
        "mobile": "13900001111",
        "product": "B030202",
        "summary": "年费",
        "demand": "refund",
    }
    codes = []
    for extra in headers:
        base["form_token"] = _form_token(html).replace(_form_token(html)[:4], f"{len(codes):04d}")
        codes.append(client.post(reverse("complaints:public_form"), base, **extra).status_code)
    return codes


def test_public_form_is_throttled_per_ip(client, settings, org_tree):
    settings.COMPLAINT_PUBLIC_RATE = "2/hour"
    assert _public_posts(client, [{}, {}, {}]) == [302, 302, 429]
    assert Complaint.objects.count() == 2


def test_a_forged_forwarded_for_header_does_not_reset_the_limit(client, settings, org_tree):
    settings.COMPLAINT_PUBLIC_RATE = "2/hour"  # no trusted proxy: the header is the client's word
    forged = [{"HTTP_X_FORWARDED_FOR": f"198.51.100.{n}"} for n in range(3)]
    assert _public_posts(client, forged) == [302, 302, 429]


def test_behind_a_trusted_proxy_each_customer_has_their_own_limit(client, settings, org_tree):
    settings.COMPLAINT_PUBLIC_RATE = "2/hour"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = {"REMOTE_ADDR": "10.0.0.2"}  # every request arrives from the proxy
    alice = {**proxy, "HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    bob = {**proxy, "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    alice_forging = {**proxy, "HTTP_X_FORWARDED_FOR": "192.0.2.99, 203.0.113.5"}  # proxy appends the real one
    assert _public_posts(client, [alice, alice, bob, alice_forging, bob, bob]) == [302, 302, 302, 429, 302, 429]


def test_public_form_bad_mobile_is_reported(client, org_tree):
    html = client.get(reverse("complaints:public_form")).content.decode()
    data = {"name": "李娜", "title": "ms", "mobile": "123", "product": "B030202", "summary": "年费", "demand": "refund"}
    response = client.post(reverse("complaints:public_form"), data | {"form_token": _form_token(html)})
    assert response.status_code == 422 and "手机号码格式不正确" in response.content.decode()
    assert Complaint.objects.count() == 0


def test_navigation_links_per_role(client, org_tree, make_user, agent):
    client.force_login(agent)
    home = client.get("/").content.decode()
    assert 'data-key="intake"' in home and 'data-key="complaint_list"' in home
    client.force_login(make_user(roles.AUDITOR, org_tree.ho))
    home = client.get("/").content.decode()
    assert 'data-key="intake"' not in home and 'data-key="complaint_list"' in home


def test_routing_rules_are_editable_in_admin_and_cases_read_only(client, org_tree, make_user, register):
    admin_user = make_user(roles.ADMIN, org_tree.ho)
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    assert client.get("/admin/complaints/routingrule/add/").status_code == 200
    case = register()
    assert client.get("/admin/complaints/complaint/").status_code == 200
    page = client.get(f"/admin/complaints/complaint/{case.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
