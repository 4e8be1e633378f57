"""The taxonomy as loaded by the migration, its validation for new cases, and the picker endpoint."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts import roles
from complaints.models import ClassificationCode
from complaints.taxonomy_data import TAXONOMY
from complaints.taxonomy_selectors import code_for_new_case, taxonomy_cache_clear

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_taxonomy_cache():
    taxonomy_cache_clear()
    yield
    taxonomy_cache_clear()


def test_migration_loads_every_code_with_parents():
    assert ClassificationCode.objects.count() == len(TAXONOMY) == 83
    leaf = ClassificationCode.objects.get(code="B030202")
    assert (leaf.axis, leaf.level, leaf.parent.code, leaf.parent.parent.code) == ("B", 3, "B0302", "B03")
    assert leaf.name_en


def test_new_case_accepts_an_active_leaf():
    assert code_for_new_case("B030202", axis="B").code == "B030202"


@pytest.mark.parametrize(
    ("code", "axis", "message"),
    [
        ("b030202", "B", "格式不正确"),
        ("B0302021", "B", "格式不正确"),
        ("B039999", "B", "未知的分类代码"),
        ("B0302", "B", "末级代码"),
        ("C03", "B", "不属于"),
    ],
)
def test_new_case_rejects_bad_codes_with_a_message(code, axis, message):
    with pytest.raises(ValueError, match=message):
        code_for_new_case(code, axis=axis)


def test_retired_code_is_rejected_for_new_cases_but_stays_on_old_ones():
    code = ClassificationCode.objects.get(code="C0503")
    code.is_active = False
    code.save()
    with pytest.raises(ValueError, match="已停用"):
        code_for_new_case("C0503", axis="C")
    # Still a row, still referenced by whatever used it.
    assert ClassificationCode.objects.filter(code="C0503").exists()


def test_code_past_its_validity_date_is_retired():
    ClassificationCode.objects.filter(code="C0501").update(valid_to=dt.date(2025, 12, 31))
    with pytest.raises(ValueError, match="已停用"):
        code_for_new_case("C0501", axis="C", on=dt.date(2026, 1, 1))
    assert code_for_new_case("C0501", axis="C", on=dt.date(2025, 12, 31)).code == "C0501"


def test_model_clean_rejects_bad_format_and_wrong_parent():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        ClassificationCode(code="X01", name_zh="x", name_en="x").clean()
    wrong_parent = ClassificationCode(
        code="B030209", name_zh="新", name_en="New", parent=ClassificationCode.objects.get(code="B0301")
    )
    with pytest.raises(ValidationError):
        wrong_parent.clean()


def test_model_validation_message_is_in_the_ui_language_only():
    """Issue 14: the admin's model validation says one language: Chinese by default, English under en."""
    from django.core.exceptions import ValidationError
    from django.utils import translation

    code = ClassificationCode(
        code="B030209", name_zh="新", name_en="New", parent=ClassificationCode.objects.get(code="B0301")
    )
    with pytest.raises(ValidationError) as zh:
        code.clean()
    with translation.override("en"), pytest.raises(ValidationError) as en:
        code.clean()
    assert zh.value.message_dict == {"parent": ["上级代码应为 B0302"]}
    assert en.value.message_dict == {"parent": ["The parent must be B0302"]}


def test_picker_endpoint_finds_fee_code_by_chinese_word(client, org_tree, make_user):
    client.force_login(make_user(roles.AGENT, org_tree.ho))
    data = client.get(reverse("complaints:taxonomy_search"), {"q": "年费", "axis": "B"}).json()
    assert data["results"][0]["code"] == "B030202"
    assert data["results"][0]["is_leaf"] is True


def test_picker_endpoint_code_prefix_and_selectable_filter(client, org_tree, make_user):
    client.force_login(make_user(roles.AGENT, org_tree.ho))
    data = client.get(reverse("complaints:taxonomy_search"), {"q": "b0302", "selectable": "1"}).json()
    codes = [r["code"] for r in data["results"]]
    assert "B0302" not in codes  # not a leaf
    assert set(codes) == {f"B03020{i}" for i in range(1, 9)}


def test_picker_endpoint_rejects_bad_axis_and_anonymous(client, org_tree, make_user):
    assert client.get(reverse("complaints:taxonomy_search"), {"q": "x"}).status_code == 302
    client.force_login(make_user(roles.AGENT, org_tree.ho))
    response = client.get(reverse("complaints:taxonomy_search"), {"axis": "Z"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_axis"
