"""The case list filters by what people see: status and organisation by name, codes by words
(as at intake), a customer by name or number (never in a URL); a capped count; saved views."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts import roles
from complaints import list_selectors
from complaints.models import Complaint, SavedView
from complaints.services import CustomerInput
from tests.complaints.conftest import MOBILE

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(org_tree, make_user):
    return make_user(roles.HO_OFFICER, org_tree.ho)


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


def _refs(response) -> list[str]:
    return [c.reference for c in response.context["page"].items]


def _search(client, **data):
    response = client.post(reverse("complaints:list"), data)
    assert response.status_code == 302, response.content.decode()[:500]
    return response.url, client.get(response.url)


def test_status_is_chosen_by_its_displayed_name(officer_client, register):
    open_case, closed = register(), register()
    Complaint.objects.filter(pk=closed.pk).update(status="closed")
    page = officer_client.get(reverse("complaints:list"))
    html = page.content.decode()
    assert '<option value="closed">已办结</option>' in html  # the picker shows names, sends codes
    by_name = officer_client.get(reverse("complaints:list"), {"status": "已办结"})  # typed by hand
    assert by_name.status_code == 200 and _refs(by_name) == [closed.reference]
    assert _refs(officer_client.get(reverse("complaints:list"), {"status": "closed"})) == [closed.reference]
    assert _refs(officer_client.get(reverse("complaints:list"), {"status": "open"})) == [open_case.reference]
    unknown = officer_client.get(reverse("complaints:list"), {"status": "已归档"})
    assert unknown.status_code == 400 and "未知状态：已归档" in unknown.content.decode()


def test_status_names_in_english_are_understood_too(officer_client, register):
    closed = register()
    Complaint.objects.filter(pk=closed.pk).update(status="closed")
    register()
    officer_client.cookies["django_language"] = "en"
    page = officer_client.get(reverse("complaints:list"), {"status": "Closed"})
    assert page.status_code == 200 and _refs(page) == [closed.reference]


def test_organisation_is_chosen_by_name_among_the_users_own(client, register, org_tree, make_user):
    bj_case, cy_case, sh_case = register(), register(), register()
    for case, org in ((bj_case, org_tree.bj), (cy_case, org_tree.bj_cy), (sh_case, org_tree.sh)):
        Complaint.objects.filter(pk=case.pk).update(responsible_org=org)
    client.force_login(make_user(roles.BRANCH_MANAGER, org_tree.bj))
    html = client.get(reverse("complaints:list")).content.decode()
    assert "朝阳支行</option>" in html and "北京分行</option>" in html
    assert "上海分行" not in html  # another branch is not offered (nor named)
    by_name = client.get(reverse("complaints:list"), {"org": "朝阳支行"})
    assert by_name.status_code == 200 and _refs(by_name) == [cy_case.reference]
    assert set(_refs(client.get(reverse("complaints:list"), {"org": "BJ"}))) == {bj_case.reference, cy_case.reference}
    other = client.get(reverse("complaints:list"), {"org": "上海分行"})  # outside the scope: nothing, not SH's
    assert other.status_code == 200 and _refs(other) == [] and "找不到机构" in other.content.decode()


def test_words_in_a_code_field_find_the_code_as_intake_does(officer_client, register):
    fee = register()  # B030202 年费
    other = register(code_b="B030203")
    url, page = _search(officer_client, code_b="年费")
    assert page.status_code == 200 and _refs(page) == [fee.reference] and other.reference not in _refs(page)
    assert parse_qs(urlsplit(url).query)["code_b"] == ["B030202"]  # the bookmark names the code
    typed = officer_client.get(reverse("complaints:list"), {"code_b": "年费"})
    assert typed.status_code == 200 and _refs(typed) == [fee.reference]
    assert "按代码 B030202" in typed.content.decode()
    nothing = officer_client.get(reverse("complaints:list"), {"code_b": "不存在的业务xyz"})
    assert nothing.status_code == 200 and _refs(nothing) == []
    assert "找不到与“不存在的业务xyz”相符的B代码" in nothing.content.decode()


def test_a_customer_is_found_by_name_and_the_name_stays_out_of_the_url(officer_client, register):
    li = [register(customer=CustomerInput(name="李娜", title="ms", mobile="13900001111")) for _ in range(2)]
    register()  # 张伟
    url, page = _search(officer_client, customer_name=" 李娜 ")
    assert "李娜" not in url and "%E6%9D%8E" not in url and set(parse_qs(urlsplit(url).query)) == {"customer"}
    assert _refs(page) == [c.reference for c in reversed(li)]
    assert "客户姓名：李娜" in page.content.decode()
    typed = officer_client.get(reverse("complaints:list"), {"customer_name": "李娜"})  # an old link: cleaned
    assert typed.status_code == 302 and "customer_name" not in typed.url


def test_a_phone_search_is_posted_and_the_number_reaches_no_url_or_log(officer_client, register, caplog):
    caplog.set_level(logging.DEBUG)
    case = register()
    register(customer=CustomerInput(name="李娜", title="ms", mobile="13900001111"))
    url, page = _search(officer_client, q=MOBILE)
    assert _refs(page) == [case.reference]
    assert MOBILE not in url and MOBILE not in page.content.decode()
    assert MOBILE not in caplog.text


def test_the_count_is_exact_below_the_cap_and_capped_above(officer_client, register, monkeypatch):
    for _ in range(4):
        register()
    page = officer_client.get(reverse("complaints:list"), {"status": "open"})
    html = page.content.decode()  # the rows come at once; the count is asked for after them
    assert 'hx-get="/complaints/count/?status=open"' in html and 'hx-trigger="load"' in html
    count = officer_client.get(reverse("complaints:list_count"), {"status": "open"})
    assert count.context["result"] == list_selectors.ResultCount(4) and "共 4 条" in count.content.decode()
    cache.clear()
    monkeypatch.setattr("complaints.list_selectors.COUNT_CAP", 3)
    capped = officer_client.get(reverse("complaints:list_count"), {"status": "open"})
    assert capped.context["result"] == list_selectors.ResultCount(3, capped=True)
    assert "共 3+ 条" in capped.content.decode()


def test_columns_sort_by_deadline_and_by_latest_change(officer_client, register):
    import datetime as dt

    a, b, c = register(), register(), register()
    Complaint.objects.filter(pk=a.pk).update(due_date=dt.date(2026, 12, 20))
    Complaint.objects.filter(pk=b.pk).update(due_date=dt.date(2026, 12, 10))
    Complaint.objects.filter(pk=c.pk).update(due_date=None)
    html = officer_client.get(reverse("complaints:list")).content.decode()
    assert 'id="sort-due"' in html and 'id="sort-updated"' in html
    due = officer_client.get(reverse("complaints:list"), {"sort": "due"})
    assert _refs(due) == [b.reference, a.reference, c.reference]  # nearest first, none last
    Complaint.objects.filter(pk=a.pk).update(updated_at=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    assert _refs(officer_client.get(reverse("complaints:list"), {"sort": "updated"}))[0] == a.reference


def test_saved_views_are_private_to_their_owner(client, officer, register, org_tree, make_user):
    register()
    client.force_login(officer)
    saved = client.post(
        reverse("complaints:saved_view_save"),
        {"name": "我的派发队列", "query": "status=registered&sort=due&cursor=abc"},
    )
    assert saved.status_code == 302 and "status=registered" in saved.url and "cursor" not in saved.url
    view = SavedView.objects.get(user=officer)
    assert view.query == "status=registered&sort=due"
    assert 'class="chip saved-view"' in client.get(reverse("complaints:list")).content.decode()
    chosen = client.get(reverse("complaints:list") + "?" + view.query).content.decode()
    assert 'class="chip saved-view current"' in chosen and 'aria-current="true">我的派发队列<' in chosen
    colleague = make_user(roles.HO_OFFICER, org_tree.ho, username="officer_two")
    client.force_login(colleague)
    assert "我的派发队列" not in client.get(reverse("complaints:list")).content.decode()
    assert client.post(reverse("complaints:saved_view_delete", args=[view.pk])).status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()
    client.force_login(officer)
    assert client.post(reverse("complaints:saved_view_delete", args=[view.pk])).status_code == 302
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_the_save_form_carries_the_filters_but_never_a_customer_search(officer_client, register):
    register()
    url, page = _search(officer_client, q=MOBILE, code_b="年费")
    html = page.content.decode()
    assert 'name="query" value="code_b=B030202"' in html  # the number search is not offered for saving


def test_the_list_speaks_english_when_the_user_chose_it(officer_client, register):
    closed = register()
    Complaint.objects.filter(pk=closed.pk).update(status="closed")
    officer_client.cookies["django_language"] = "en"
    html = officer_client.get(reverse("complaints:list"), {"code_b": "nothing-like-this"}).content.decode()
    assert '<option value="closed">Closed</option>' in html and "More filters" in html
    assert "No B code matches “nothing-like-this”" in html and "Counting…" in html
    assert "更多条件" not in html and "已办结" not in html
    count = officer_client.get(reverse("complaints:list_count"), {"code_b": "nothing-like-this"}).content.decode()
    assert "0 cases" in count and "条" not in count


def test_a_saved_view_keeps_only_the_lists_filters_and_no_number(officer):
    from complaints.services.saved_views import saved_view_save

    view = saved_view_save(
        user=officer,
        name="  夜班  ",
        query=f"status=open&customer=tok&customer_name=李娜&cursor=x&q=客户{MOBILE}&note={MOBILE}&flags=is_repeat&flags=is_elderly",
    )
    assert view.name == "夜班"
    assert view.query == "q=%E5%AE%A2%E6%88%B7138%2A%2A%2A%2A5678&status=open&flags=is_repeat&flags=is_elderly"
    again = saved_view_save(user=officer, name="夜班", query="sort=due")  # the same name: replaced
    assert again.pk == view.pk and SavedView.objects.get(pk=view.pk).query == "sort=due"


def test_a_saved_view_needs_a_name_and_a_user_keeps_at_most_twenty(officer, monkeypatch):
    from django.core.exceptions import ValidationError

    from complaints.services import saved_views

    with pytest.raises(ValidationError, match="请填写名称"):
        saved_views.saved_view_save(user=officer, name="   ", query="status=open")
    monkeypatch.setattr(saved_views, "MAX_SAVED_VIEWS", 2)
    for name in ("一", "二"):
        saved_views.saved_view_save(user=officer, name=name, query="status=open")
    with pytest.raises(ValidationError, match="最多保存 2 个常用查询"):
        saved_views.saved_view_save(user=officer, name="三", query="status=open")
    assert SavedView.objects.filter(user=officer).count() == 2
