"""The performance page says what it computes (issue 17): the rate is "told on time" by the derived
decision clock (extensions, pauses, rest-day roll), overdue is a decision still owed past that
deadline — no longer "decided within 15 days" or "open and past the due date"."""

from __future__ import annotations

from django.urls import reverse


def test_the_performance_page_names_the_derived_clock_in_chinese_and_english(client, users, unequal):
    client.force_login(users["ho_officer"])
    page = client.get(reverse("analytics:performance")).content.decode()
    assert "按时答复率" in page and "15日内决定率" not in page
    assert (
        "经批准延期为30日或60日" in page and "暂停计时的天数顺延" in page and "仍未告知处理决定且已超过上述时限" in page
    )
    assert "逾期为当前未结" not in page
    client.cookies["django_language"] = "en"
    english = client.get(reverse("analytics:performance")).content.decode()
    assert "Told on time" in english and "Decided within 15 days" not in english
    assert "plus the days paused for an external appraisal" in english
    assert "Overdue now: cases still owed a decision past that limit" in english
