"""No phone, ID or card number in a URL: lookups are POSTs, the list search redirects to a clean URL."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from accounts import roles
from complaints.services import CustomerInput
from tests.complaints.conftest import ID_NUMBER, MOBILE

pytestmark = pytest.mark.django_db

LONG_DIGITS = re.compile(r"\d{8,}")


@pytest.fixture
def officer_client(client, org_tree, make_user):
    client.force_login(make_user(roles.HO_OFFICER, org_tree.ho))
    return client


def _search(client, **data):
    """POST the list's search form; returns (redirect URL, page after following it)."""
    response = client.post(reverse("complaints:list"), data)
    assert response.status_code == 302
    return response.url, client.get(response.url)


def test_a_full_mobile_number_finds_the_customers_cases_without_entering_the_url(officer_client, register):
    mine = [register(), register(code_b="B030203")]
    other = register(customer=CustomerInput(name="李娜", title="ms", mobile="13900001111"))
    url, page = _search(officer_client, q="138 1234 5678", code_b="B0302")
    assert not LONG_DIGITS.search(url) and "1234" not in url
    assert set(parse_qs(urlsplit(url).query)) == {"customer", "code_b"}
    body = page.content.decode()
    assert page.status_code == 200
    assert all(c.reference in body for c in mine) and other.reference not in body
    assert "138****5678" in body and MOBILE not in body and "138 1234 5678" not in body


def test_an_id_number_finds_the_customer_and_the_next_page_link_keeps_the_search(officer_client, register):
    cases = [register(customer=CustomerInput(name="李娜", title="ms", id_number=ID_NUMBER)) for _ in range(3)]
    register(customer=CustomerInput(name="王芳", title="ms", mobile="13900001111"))
    url, page = _search(officer_client, q=ID_NUMBER.lower())
    assert ID_NUMBER not in url and not LONG_DIGITS.search(url)
    assert [c.reference for c in page.context["page"].items] == [c.reference for c in reversed(cases)]
    token = parse_qs(urlsplit(url).query)["customer"][0]
    officer_client.get(reverse("complaints:list"))  # same token still works later in the session
    again = officer_client.get(reverse("complaints:list"), {"customer": token})
    assert len(again.context["page"].items) == 3


def test_a_branch_user_finds_only_their_own_cases_of_that_customer(client, register, org_tree, make_user):
    from complaints.models import Complaint

    bj_case, sh_case = register(), register()
    Complaint.objects.filter(pk=bj_case.pk).update(responsible_org=org_tree.bj)
    Complaint.objects.filter(pk=sh_case.pk).update(responsible_org=org_tree.sh)
    client.force_login(make_user(roles.BRANCH_HANDLER, org_tree.sh))
    _, page = _search(client, q=MOBILE)
    assert [c.reference for c in page.context["page"].items] == [sh_case.reference]


def test_other_filters_stay_readable_and_bookmarkable(officer_client, register):
    register()
    url, page = _search(officer_client, q="年费", code_b="b0302", flags=["is_repeat", "is_elderly"])
    query = parse_qs(urlsplit(url).query)
    assert query == {"q": ["年费"], "code_b": ["b0302"], "flags": ["is_repeat", "is_elderly"]}
    assert page.status_code == 200
    assert officer_client.get(reverse("complaints:list"), {"q": "年费"}).status_code == 200  # no redirect


def test_an_old_link_with_a_number_is_redirected_to_a_clean_one(officer_client, register):
    case = register()
    response = officer_client.get(reverse("complaints:list"), {"q": MOBILE, "status": "registered"})
    assert response.status_code == 302 and MOBILE not in response.url and "status=registered" in response.url
    assert case.reference in officer_client.get(response.url).content.decode()


def test_a_card_number_in_the_search_is_masked_like_stored_text(officer_client, register):
    case = register(details="卡号 4111111111111111 被扣年费")
    url, page = _search(officer_client, q="4111 1111 1111 1111")
    assert parse_qs(urlsplit(url).query) == {"q": ["411111******1111"]}
    assert case.reference in page.content.decode()  # the details are stored masked the same way
    url, _ = _search(officer_client, q="6222021234567890")  # no checksum: masked as bare digits
    assert parse_qs(urlsplit(url).query) == {"q": ["************7890"]}


def test_a_forged_or_expired_token_finds_nothing_and_says_so(officer_client, register, settings):
    register()
    url, _ = _search(officer_client, q=MOBILE)
    token = parse_qs(urlsplit(url).query)["customer"][0]
    forged = officer_client.get(reverse("complaints:list"), {"customer": token[:-4] + "AAAA"})
    assert forged.status_code == 400 and "号码查询已过期" in forged.content.decode()
    settings.SESSION_COOKIE_AGE = -1  # every token is now too old
    expired = officer_client.get(url)
    assert expired.status_code == 400 and expired.context["page"] is None


def test_number_lookups_refuse_get_and_the_intake_page_posts_them(client, agent):
    client.force_login(agent)
    for name in ("complaints:intake_customer", "complaints:intake_repeat_check"):
        assert client.get(reverse(name), {"mobile": MOBILE}).status_code == 405
    html = client.get(reverse("complaints:intake")).content.decode()
    assert f'hx-post="{reverse("complaints:intake_customer")}"' in html
    assert f'hx-post="{reverse("complaints:intake_repeat_check")}"' in html
    assert "hx-get" not in html


def test_api_search_with_a_full_number_finds_the_customer_from_a_post_body(client, register, org_tree, make_user):
    """API clients search by number with POST /api/v1/complaints/search/ (a JSON body): the
    customer is found by keyed hash and the number is in no URL."""
    case = register(customer=CustomerInput(name="张伟", title="mr", mobile=MOBILE, id_number=ID_NUMBER))
    register(customer=CustomerInput(name="李娜", title="ms", mobile="13900001111"))
    client.force_login(make_user(roles.HO_OFFICER, org_tree.ho))
    url = reverse("complaints_api:complaint_search")
    assert not LONG_DIGITS.search(url)
    as_json = client.post(url, {"q": "+86 138-1234-5678"}, content_type="application/json")
    assert as_json.status_code == 200, as_json.content
    assert [row["reference"] for row in as_json.json()["results"]] == [case.reference]
    by_id = client.post(url, {"q": ID_NUMBER, "limit": 5}, content_type="application/json")
    assert [row["reference"] for row in by_id.json()["results"]] == [case.reference]
    assert client.get(url, {"q": "年费"}).status_code == 405


@pytest.mark.parametrize("q", ["+86 138-1234-5678", ID_NUMBER, "6222 0212 3456 7894", "年费 13812345678"])
def test_api_list_refuses_a_full_number_in_its_url(client, register, org_tree, make_user, q):
    register()
    client.force_login(make_user(roles.HO_OFFICER, org_tree.ho))
    response = client.get(reverse("complaints_api:complaint_list"), {"q": q})
    assert response.status_code == 400
    error = response.json()["error"]
    assert list(error["fields"]) == ["q"] and "POST /api/v1/complaints/search/" in error["fields"]["q"][0]


def test_api_list_still_searches_words_and_references_in_its_url(client, register, org_tree, make_user):
    case = register()
    client.force_login(make_user(roles.HO_OFFICER, org_tree.ho))
    for q in (case.reference, case.summary[:2]):
        response = client.get(reverse("complaints_api:complaint_list"), {"q": q})
        assert response.status_code == 200 and case.reference in response.content.decode(), q
