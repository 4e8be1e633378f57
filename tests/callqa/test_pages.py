"""Call QA pages: the queue (lowest first, each reviewer's own branches), a call with the player
and its hits at their seconds, overturning from the page, the weekly scorecards, query budgets."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from callqa import services
from callqa.models import CallScore
from tests.callqa.conftest import BAD_CALL, GOOD_CALL, LAST_WEEK

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today(pin_clock):
    pin_clock(dt.date(2026, 12, 3))


@pytest.fixture
def scored(org_tree, staff, make_call):
    """BJ: one bad, one good call (agent_bj) and a bad one at BJ-CY; SH: three good ones."""
    calls = {
        "bj_bad": make_call(org_tree.bj, BAD_CALL, agent=staff.bj_agent),
        "bj_good": make_call(org_tree.bj, GOOD_CALL, agent=staff.bj_agent),
        "bjcy_bad": make_call(org_tree.bj_cy, BAD_CALL),
        **{f"sh_{i}": make_call(org_tree.sh, GOOD_CALL, agent=staff.sh_agent, started=LAST_WEEK) for i in range(3)},
    }
    for rec in calls.values():
        services.recording_score(recording_id=rec.pk)
    return calls


def queue_ids(resp) -> list[int]:
    return [int(n) for n in re.findall(r'data-qa-row="(\d+)"', resp.content.decode())]


def test_the_queue_lists_the_lowest_scores_first_within_the_reviewers_scope(client, staff, scored):
    client.force_login(staff.bj_manager)
    resp = client.get(reverse("callqa:queue"))
    assert resp.status_code == 200
    ids = queue_ids(resp)
    assert sorted(ids) == sorted([scored["bj_bad"].pk, scored["bj_good"].pk, scored["bjcy_bad"].pk])
    assert ids[-1] == scored["bj_good"].pk  # 100 last; the two 55s first (newest first)
    client.force_login(staff.ho_officer)
    assert len(queue_ids(client.get(reverse("callqa:queue")))) == 6
    client.force_login(staff.sh_listener)
    assert sorted(queue_ids(client.get(reverse("callqa:queue")))) == sorted(scored[f"sh_{i}"].pk for i in range(3))


@pytest.mark.parametrize("who", ["bj_handler", "ho_agent"])
def test_people_who_do_not_review_calls_get_no_queue(client, staff, scored, who):
    client.force_login(getattr(staff, who))
    assert client.get(reverse("callqa:queue")).status_code == 404
    assert client.get(reverse("callqa:call", args=[scored["bj_bad"].pk])).status_code == 404
    assert client.get(reverse("callqa:scorecards")).status_code == 404


def test_another_branchs_call_is_a_404(client, staff, scored):
    client.force_login(staff.sh_listener)
    assert client.get(reverse("callqa:call", args=[scored["bj_bad"].pk])).status_code == 404
    hit = CallScore.objects.get(recording=scored["bj_bad"]).hits.first()
    resp = client.post(reverse("callqa:overturn", args=[scored["bj_bad"].pk]), {"hit": hit.pk, "reason": "x"})
    assert resp.status_code == 404
    hit.refresh_from_db()
    assert not hit.overturned


def test_the_call_page_plays_the_listening_copy_from_each_hits_second(client, staff, scored):
    client.force_login(staff.bj_manager)
    resp = client.get(reverse("callqa:call", args=[scored["bj_bad"].pk]))
    body = resp.content.decode()
    assert resp.status_code == 200
    assert f"/recordings/{scored['bj_bad'].pk}/audio/redacted/" in body  # the recordings player, de-identified copy
    assert "/audio/original/" not in body  # a branch manager may not hear the original
    hit = CallScore.objects.get(recording=scored["bj_bad"]).hits.get(rule_key="promise_returns")
    assert f'data-seek="{hit.second:.2f}"' in body
    assert "data-overturn" in body and "data-qa-mono" in body
    assert "禁用语“保本保息”（相似度 100）" in body and "未说必说话术" in body  # why, in the UI language
    assert "未区分说话人" in body


def test_overturning_from_the_page_recomputes_the_score(client, staff, scored):
    client.force_login(staff.bj_manager)
    score = CallScore.objects.get(recording=scored["bj_bad"])
    hit = score.hits.get(rule_key="promise_returns")
    url = reverse("callqa:overturn", args=[scored["bj_bad"].pk])
    resp = client.post(url, {"hit": hit.pk, "reason": ""})
    assert resp.status_code == 302
    score.refresh_from_db()
    assert score.score == 55  # no reason: refused, nothing changed
    resp = client.post(url, {"hit": hit.pk, "reason": "坐席在复述客户的话"}, follow=True)
    score.refresh_from_db()
    assert score.score == 85
    assert "已推翻" in resp.content.decode() and "坐席在复述客户的话" in resp.content.decode()


def test_an_auditor_reads_but_cannot_overturn(client, staff, scored):
    client.force_login(staff.auditor)
    resp = client.get(reverse("callqa:call", args=[scored["bj_bad"].pk]))
    assert resp.status_code == 200 and "data-overturn" not in resp.content.decode()
    hit = CallScore.objects.get(recording=scored["bj_bad"]).hits.first()
    resp = client.post(reverse("callqa:overturn", args=[scored["bj_bad"].pk]), {"hit": hit.pk, "reason": "x"})
    assert resp.status_code == 403


def test_a_hit_of_another_call_cannot_be_overturned_through_this_one(client, staff, scored):
    client.force_login(staff.bj_manager)
    other = CallScore.objects.get(recording=scored["bjcy_bad"]).hits.first()
    client.post(reverse("callqa:overturn", args=[scored["bj_bad"].pk]), {"hit": other.pk, "reason": "x"})
    other.refresh_from_db()
    assert not other.overturned


def test_an_unscored_call_says_so(client, staff, org_tree, make_call):
    rec = make_call(org_tree.bj, GOOD_CALL)
    client.force_login(staff.bj_manager)
    assert "data-qa-unscored" in client.get(reverse("callqa:call", args=[rec.pk])).content.decode()


def test_scorecards_by_agent_and_team_per_week(client, staff, scored):
    client.force_login(staff.ho_officer)
    body = client.get(reverse("callqa:scorecards")).content.decode()
    agent_bj = re.search(r'data-qa-card="agent_bj">(.*?)</tr>', body, re.S).group(1)
    assert 'data-week="2026-11-30">77.5' in agent_bj
    agent_sh = re.search(r'data-qa-card="agent_sh">(.*?)</tr>', body, re.S).group(1)
    assert 'data-week="2026-11-23">100.0' in agent_sh
    teams = client.get(reverse("callqa:scorecards"), {"by": "team"}).content.decode()
    assert 'data-qa-card="朝阳支行"' in teams and 'data-qa-card="上海分行"' in teams
    client.force_login(staff.sh_listener)
    assert "agent_bj" not in client.get(reverse("callqa:scorecards")).content.decode()


def test_page_query_budgets_do_not_grow_with_rows(
    client, staff, org_tree, make_call, scored, django_assert_max_num_queries
):
    client.force_login(staff.ho_officer)
    client.get(reverse("callqa:queue"))  # warm per-user caches (visible orgs, menu)
    with django_assert_max_num_queries(8):
        small = client.get(reverse("callqa:queue"))
    for _ in range(12):
        services.recording_score(recording_id=make_call(org_tree.sh, BAD_CALL, agent=staff.sh_agent).pk)
    with django_assert_max_num_queries(8):
        big = client.get(reverse("callqa:queue"))
    assert len(queue_ids(big)) == len(queue_ids(small)) + 12
    with django_assert_max_num_queries(8):
        client.get(reverse("callqa:scorecards"))
    with django_assert_max_num_queries(12):
        client.get(reverse("callqa:call", args=[scored["bj_bad"].pk]))
