"""The case page's classification codes come from the cached taxonomy (issue 12).

At 1 M cases the case page's read joined eleven tables, four of them the code table (A, B, C
and the root cause); planning that join cost ~5 ms under load. The codes are now set on the case
from the taxonomy rows every intake and picker already caches: the read joins seven tables and
the codes cost no query.
"""

from __future__ import annotations

import pytest

from complaints.models import ClassificationCode, Complaint
from complaints.selectors import case_page_get
from complaints.taxonomy_selectors import taxonomy_rows

from .factories import ComplaintFactory, code

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(org_tree):
    c = ComplaintFactory(responsible_org=org_tree.bj)
    Complaint.objects.filter(pk=c.pk).update(root_cause_code=code("C0201"))
    return c


def test_the_case_comes_with_its_codes_without_joining_the_code_table(case, ho_officer, django_assert_num_queries):
    taxonomy_rows()  # cached, as any earlier page or intake leaves it
    with django_assert_num_queries(1) as captured:
        got = case_page_get(ho_officer, case.pk)
        shown = [(c.code, c.name_zh, c.axis) for c in (got.code_a, got.code_b, got.code_c, got.root_cause_code)]
    assert "classificationcode" not in captured.captured_queries[0]["sql"].lower()
    want = [ClassificationCode.objects.get(code=x) for x in ("A0302", "B030202", "C03", "C0201")]
    assert shown == [(c.code, c.name_zh, c.axis) for c in want]
    assert got.code_b.pk == want[1].pk and got.customer_id == case.customer_id


def test_a_case_without_a_root_cause_shows_none_without_a_query(org_tree, ho_officer, django_assert_num_queries):
    c = ComplaintFactory(responsible_org=org_tree.bj)
    taxonomy_rows()
    with django_assert_num_queries(1):
        got = case_page_get(ho_officer, c.pk)
        assert got.root_cause_code is None and got.code_c.code == "C03"


def test_a_code_newer_than_the_cached_taxonomy_is_read_when_shown(org_tree, ho_officer):
    taxonomy_rows()  # cached before the code below exists
    parent = ClassificationCode.objects.get(code="C03")
    new = ClassificationCode.objects.create(
        code="C0399", axis="C", level=2, parent=parent, name_zh="新原因", name_en="New"
    )
    c = ComplaintFactory(responsible_org=org_tree.bj, code_c=new)
    assert case_page_get(ho_officer, c.pk).code_c.name_zh == "新原因"


def test_outside_the_users_scope_is_still_not_found(case, org_tree, make_user):
    from django.http import Http404

    stranger = make_user("branch_manager", org_tree.sh)
    with pytest.raises(Http404):
        case_page_get(stranger, case.pk)
