"""Reply templates per classification code (issue 14): admin-managed texts offered in the
draft-decision form for the case's B and C codes and their ancestors; inserted by the page's
script into the decision text (which the customer is told), never sent on their own."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.complaints.factories import code
from workflow import reply_templates
from workflow.models import ReplyTemplate

from .conftest import put

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def cold_cache():
    cache.delete(reply_templates.CACHE_KEY)
    yield
    cache.delete(reply_templates.CACHE_KEY)


@pytest.fixture
def templates(db):
    def make(c, title, body="您好，关于您反映的问题……", active=True):
        return ReplyTemplate.objects.create(code=code(c), title=title, body=body, is_active=active)

    return {
        "fee": make("B0302", "年费减免答复", "您好，经核实，您的信用卡年费已予减免。"),
        "card": make("B03", "银行卡通用答复"),
        "leaf": make("B030202", "年费争议答复"),
        "cause": make("C03", "收费定价答复"),
        "other": make("B01", "存款答复"),
        "retired": make("B0302", "旧版年费答复", active=False),
    }


def test_templates_for_the_codes_and_their_ancestors_most_specific_first(templates):
    got = [t.title for t in reply_templates.templates_for(["B030202", "C03"])]
    assert got == ["年费争议答复", "年费减免答复", "银行卡通用答复", "收费定价答复"]
    assert reply_templates.templates_for(["B0101"]) == [
        t for t in reply_templates.active_templates() if t.code == "B01"
    ]
    assert reply_templates.templates_for([""]) == []


def test_an_admin_edit_shows_once_the_cache_expires(templates):
    assert "存款答复" in [t.title for t in reply_templates.active_templates()]
    ReplyTemplate.objects.filter(pk=templates["other"].pk).update(is_active=False)
    assert "存款答复" in [t.title for t in reply_templates.active_templates()]  # cached (≤ 60 s)
    cache.delete(reply_templates.CACHE_KEY)
    assert "存款答复" not in [t.title for t in reply_templates.active_templates()]


def test_the_draft_form_offers_the_case_templates(client, org_tree, staff, new_case, templates):
    c = put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler)  # B030202, C03
    client.force_login(staff.bj_handler)
    html = client.get(reverse("workflow:case", args=[c.pk])).content.decode()
    form = html[html.index('data-action="draft_decision"') :]
    form = form[: form.index("</details>")]
    titles = re.findall(r'data-reply-template="[^"]*"[^>]*>([^<]+)<', form)
    assert titles == ["年费争议答复", "年费减免答复", "银行卡通用答复", "收费定价答复"]
    assert 'data-body="您好，经核实，您的信用卡年费已予减免。"' in form
    assert 'data-target="id_draft_decision-text"' in form
    assert "workflow/reply-templates.js" in html
    assert "存款答复" not in html and "旧版年费答复" not in html


def test_no_template_row_where_there_is_none_or_no_draft_form(client, org_tree, staff, new_case, templates):
    client.force_login(staff.bj_handler)
    c = put(new_case(org_tree.bj, code_b=code("B0101"), code_c=code("C0101")), "routed", assigned_to=staff.bj_handler)
    html = client.get(reverse("workflow:case", args=[c.pk])).content.decode()
    assert "data-reply-template" not in html  # routed: no draft form yet
    put(c, "investigating")
    html = client.get(reverse("workflow:case", args=[c.pk])).content.decode()
    assert re.findall(r'data-reply-template="[^"]*"[^>]*>([^<]+)<', html) == ["存款答复"]


def test_case_page_stays_within_ten_queries_with_a_cold_template_cache(
    client, org_tree, staff, new_case, templates, django_assert_max_num_queries
):
    c = put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler)
    client.force_login(staff.bj_handler)
    client.get(reverse("workflow:case", args=[c.pk]))  # warm the other caches (taxonomy, calendar)
    cache.delete(reply_templates.CACHE_KEY)
    with django_assert_max_num_queries(10):
        resp = client.get(reverse("workflow:case", args=[c.pk]))
    assert "年费争议答复" in resp.content.decode()
