"""Short CJK search: gram tokens (pure) and the search that uses them (both databases)."""

from __future__ import annotations

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from complaints.grams import GRAMS_SQL, cjk_grams, is_short_cjk
from complaints.list_selectors import ComplaintFilters, complaint_page_for
from complaints.models import Complaint
from complaints.services import CustomerInput
from tests.complaints.factories import ComplaintFactory

# A small alphabet so that generated texts share characters and pairs often.
_TEXT = st.text(alphabet="吞卡信用年费 A1，。", max_size=12)


def test_grams_are_distinct_cjk_characters_and_adjacent_pairs():
    assert set(cjk_grams("吞卡", "").split()) == {"吞", "卡", "吞卡"}
    tokens = set(cjk_grams("自助机吞卡", "卡号6222****7890被吞").split())
    assert {"吞卡", "机吞", "卡", "吞", "卡号", "被吞"} <= tokens
    assert "卡卡" not in tokens  # no pair across the summary/details boundary
    assert "号被" not in tokens  # nor across digits or masking
    assert not {t for t in tokens if not is_short_cjk(t)}


def test_short_cjk_queries():
    assert is_short_cjk("吞卡") and is_short_cjk("卡")
    assert not is_short_cjk("未激活") and not is_short_cjk("ab") and not is_short_cjk("A卡") and not is_short_cjk("")


@given(summary=_TEXT, details=_TEXT, query=st.text(alphabet="吞卡信用年费", min_size=1, max_size=2))
def test_a_token_match_means_the_text_contains_the_query(summary, details, query):
    tokens = set(cjk_grams(summary, details).split())
    assert (query in tokens) == (query in summary or query in details)


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL back-fill runs on PostgreSQL only")
@pytest.mark.parametrize(
    ("summary", "details"),
    [
        ("自助机吞卡", "客户在自助设备取款时银行卡被吞，网点未及时处理。"),
        ("", ""),
        ("ATM吞卡 x", "卡号6222****7890被吞"),
    ],
)
def test_sql_backfill_makes_the_same_tokens_as_python(summary, details):
    with connection.cursor() as cur:
        cur.execute("SELECT " + GRAMS_SQL.format(summary="%s::text", details="%s::text"), [summary, details])
        assert set(cur.fetchone()[0].split()) == set(cjk_grams(summary, details).split())


@pytest.mark.django_db
@pytest.mark.parametrize("term", ["吞卡", "吞", "年费", "未激活"])
def test_search_by_one_to_four_characters_finds_exactly_the_matching_cases(register, org_tree, bj_manager, term):
    swallowed = register(summary="自助机吞卡", details="银行卡被吞。")
    fee = register(summary="信用卡年费争议", details="客户称未激活即被收取年费。")
    ComplaintFactory(
        responsible_org=org_tree.sh, reference="VOC-2026-9999999", summary="自助机吞卡", details=""
    )  # outside BJ's scope
    expected = {
        "吞卡": {swallowed.reference},
        "吞": {swallowed.reference},
        "年费": {fee.reference},
        "未激活": {fee.reference},
    }[term]
    page = complaint_page_for(bj_manager, ComplaintFilters(q=term), limit=25)
    assert {c.reference for c in page.items} == expected


@pytest.mark.django_db
def test_registration_stores_grams_of_the_masked_text(register):
    case = register(summary="吞卡", details="卡号6222021234567890被吞")
    tokens = set(Complaint.objects.values_list("search_grams", flat=True).get(pk=case.pk).split())
    assert {"吞卡", "卡号", "被吞"} <= tokens
    assert "6222" not in case.search_grams


@pytest.mark.django_db
def test_registration_needs_few_queries(register, django_assert_max_num_queries):
    register()  # warms the taxonomy and routing caches, creates the customer
    # 15: customer, reference counter, case, first due date, log entry, the decision clock's
    # columns (computed from the saved row, no re-read), the staff named in the text (回避), the
    # webhook endpoints that take the event (one read; nothing written without one), the analytics
    # outbox row (one, written with the case)... a fixed handful, never one per anything. The new
    # row's version is not bumped (no version was handed out before it).
    with django_assert_max_num_queries(15):
        register(customer=CustomerInput(name="张伟", title="mr", mobile="13912345678"))
