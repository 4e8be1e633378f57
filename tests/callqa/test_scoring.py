"""Scoring a call, rule versions, overturning a hit, the suspected-complaint feed, the hook after
transcription and the batch command (callqa.services)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import AuditEvent
from callqa import selectors, services
from callqa.models import CallScore, QaHit, QaRule, QaRuleVersion
from recordings.models import CallRecording, TranscriptSegment
from tests.callqa.conftest import BAD_CALL, GOOD_CALL, LAST_WEEK
from tests.complaints.factories import ComplaintFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 3)


@pytest.fixture(autouse=True)
def _today(pin_clock):
    pin_clock(TODAY)


def test_the_default_rule_set_is_seeded_as_version_one():
    rules = {r.key: r for r in QaRule.objects.all()}
    assert {"greeting", "identity_check", "recording_notice", "closing", "promise_returns"} <= set(rules)
    assert {"blame_customer", "full_credentials", "long_silence", "hold", "overtalk", "talk_ratio"} <= set(rules)
    assert "本次通话将被录音" in rules["recording_notice"].phrases_zh
    assert all(r.version == 1 and r.versions.count() == 1 for r in rules.values())


def test_a_good_call_scores_100_and_a_bad_one_loses_each_broken_rules_weight(org_tree, staff, make_call):
    good = services.recording_score(recording_id=make_call(org_tree.bj, GOOD_CALL, agent=staff.bj_agent).pk)
    assert (good.score, list(good.hits.all())) == (100, [])
    bad = services.recording_score(recording_id=make_call(org_tree.bj, BAD_CALL, agent=staff.bj_agent).pk)
    hits = {h.rule_key: h for h in bad.hits.all()}
    assert set(hits) == {"recording_notice", "promise_returns"}
    assert hits["promise_returns"].second == pytest.approx(
        10.0 + 6 * 4 / 13, abs=0.01
    )  # 保本保息: characters 4-7 of 13 in 6 s
    assert hits["promise_returns"].text == "保本保息"
    assert hits["recording_notice"].second is None
    assert bad.score == 100 - 15 - 30
    # the stored file is measured (callqa.audio.facts_for_recording), not read off the transcript
    assert bad.notes == ["mono", "overtalk_unknown", "talk_ratio_unknown", "facts:audio"]
    assert bad.speakers_known is False
    # The versions it was computed with are recorded (every active rule).
    assert bad.rule_versions.count() == QaRule.objects.filter(active=True).count()
    assert (bad.agent, bad.team, bad.week) == (staff.bj_agent, org_tree.bj, dt.date(2026, 11, 30))
    # The customer's complaint words are placed at the turn that said them (4 s), not the call's start.
    assert {(p["evidence"], p["second"], p["points"]) for p in bad.emotion_parts} == {
        ("投诉", 4.0, 30),
        ("银保监", 4.0, 30),
        ("乱收费", 4.0, 20),
    }


def test_editing_a_rule_makes_a_new_version_and_old_scores_keep_theirs(org_tree, staff, make_call):
    rec = make_call(org_tree.bj, BAD_CALL, agent=staff.bj_agent)
    first = services.recording_score(recording_id=rec.pk)
    rule = QaRule.objects.get(key="promise_returns")
    v1 = rule.versions.get()
    rule.weight = 50
    services.rule_save(actor=staff.ho_officer, rule=rule)
    services.rule_save(actor=staff.ho_officer, rule=rule)  # nothing changed: no new version
    assert list(rule.versions.order_by("version").values_list("version", "weight")) == [(1, 30), (2, 50)]
    assert rule.versions.get(version=2).created_by == staff.ho_officer
    assert QaHit.objects.get(score=first, rule_key="promise_returns").rule_version == v1
    CallScore.objects.filter(pk=first.pk).delete()
    second = services.recording_score(recording_id=rec.pk)
    hit = second.hits.get(rule_key="promise_returns")
    assert (hit.rule_version.version, hit.weight, second.score) == (2, 50, 100 - 15 - 50)
    assert second.rule_versions.filter(rule=rule).get().version == 2


def test_a_switched_off_rule_is_not_applied(org_tree, staff, make_call):
    rule = QaRule.objects.get(key="recording_notice")
    rule.active = False
    services.rule_save(actor=None, rule=rule)
    score = services.recording_score(recording_id=make_call(org_tree.bj, BAD_CALL).pk)
    assert set(score.hits.values_list("rule_key", flat=True)) == {"promise_returns"}


def test_a_phrase_rule_without_phrases_is_refused(staff):
    rule = QaRule(key="empty", name="空", kind=QaRule.Kind.FORBIDDEN, weight=5)
    with pytest.raises(ValidationError):
        services.rule_save(actor=staff.ho_officer, rule=rule)
    assert not QaRuleVersion.objects.filter(rule__key="empty").exists()


def test_overturning_a_hit_keeps_the_reason_audits_and_moves_score_and_scorecard(org_tree, staff, make_call):
    services.recording_score(recording_id=make_call(org_tree.bj, GOOD_CALL, agent=staff.bj_agent).pk)
    bad = services.recording_score(recording_id=make_call(org_tree.bj, BAD_CALL, agent=staff.bj_agent).pk)
    _, rows = selectors.scorecards(staff.bj_manager, by="agent", today=TODAY, weeks=2)
    assert [(r["name"], r["cells"][-1]["avg"], r["cells"][-1]["calls"]) for r in rows] == [("agent_bj", 77.5, 2)]
    hit = bad.hits.get(rule_key="promise_returns")
    after = services.hit_overturn(actor=staff.bj_manager, hit=hit, reason="客户在问竞品，坐席在复述")
    assert after.score == 85
    hit.refresh_from_db()
    assert (hit.overturned, hit.overturn_reason, hit.overturned_by) == (
        True,
        "客户在问竞品，坐席在复述",
        staff.bj_manager,
    )
    event = AuditEvent.objects.get(action="callqa.hit_overturn")
    assert event.detail["score_before"] == 55 and event.detail["score_after"] == 85
    assert event.actor == staff.bj_manager and event.object_id == str(hit.pk)
    _, rows = selectors.scorecards(staff.bj_manager, by="agent", today=TODAY, weeks=2)
    assert rows[0]["cells"][-1]["avg"] == 92.5
    _, teams = selectors.scorecards(staff.ho_officer, by="team", today=TODAY, weeks=2)
    assert [(r["name"], r["avg"]) for r in teams] == [("北京分行", 92.5)]
    with pytest.raises(ValidationError):
        services.hit_overturn(actor=staff.bj_manager, hit=hit, reason="again")


def test_an_overturn_needs_a_reason_and_a_reviewer(org_tree, staff, make_call):
    bad = services.recording_score(recording_id=make_call(org_tree.bj, BAD_CALL).pk)
    hit = bad.hits.first()
    for actor, reason in ((staff.bj_manager, "  "), (staff.auditor, "原因"), (staff.bj_handler, "原因")):
        with pytest.raises(ValidationError):
            services.hit_overturn(actor=actor, hit=hit, reason=reason)
    assert not QaHit.objects.filter(overturned=True).exists()
    assert CallScore.objects.get(pk=bad.pk).score == 55


def test_scoring_again_keeps_what_a_reviewer_overturned(org_tree, staff, make_call):
    rec = make_call(org_tree.bj, BAD_CALL)
    first = services.recording_score(recording_id=rec.pk)
    services.hit_overturn(actor=staff.ho_officer, hit=first.hits.get(rule_key="promise_returns"), reason="误判")
    again = services.recording_score(recording_id=rec.pk)
    kept = again.hits.get(rule_key="promise_returns")
    assert (kept.overturned, kept.overturn_reason, again.score) == (True, "误判", 85)


def test_week_and_team_come_from_the_call(org_tree, staff, make_call):
    score = services.recording_score(recording_id=make_call(org_tree.sh, GOOD_CALL, started=LAST_WEEK).pk)
    assert (score.agent, score.team, score.week) == (None, org_tree.sh, dt.date(2026, 11, 23))
    ho = services.recording_score(recording_id=make_call(org_tree.bj, GOOD_CALL, agent=staff.ho_agent).pk)
    assert ho.team == org_tree.ho  # the agent's org is the team


def test_strong_complaint_cues_on_an_unlinked_call_feed_the_suspected_queue(org_tree, staff, make_call):
    unlinked = make_call(org_tree.bj, BAD_CALL)
    services.recording_score(recording_id=unlinked.pk)
    unlinked.refresh_from_db()
    assert unlinked.suspect == CallRecording.Suspect.OPEN
    assert {h["phrase"] for h in unlinked.suspect_hits} >= {"投诉", "银保监"}
    from recordings.selectors import suspected_queue

    assert list(suspected_queue(staff.bj_manager)) == [unlinked]
    linked = make_call(org_tree.bj, BAD_CALL, complaint=ComplaintFactory(responsible_org=org_tree.bj))
    services.recording_score(recording_id=linked.pk)
    linked.refresh_from_db()
    assert linked.suspect == ""
    calm = make_call(org_tree.bj, GOOD_CALL)
    services.recording_score(recording_id=calm.pk)
    calm.refresh_from_db()
    assert calm.suspect == ""


def test_a_dismissed_suspect_is_not_reopened(org_tree, staff, make_call):
    rec = make_call(org_tree.bj, BAD_CALL)
    CallRecording.objects.filter(pk=rec.pk).update(suspect=CallRecording.Suspect.DISMISSED)
    services.recording_score(recording_id=rec.pk)
    rec.refresh_from_db()
    assert rec.suspect == CallRecording.Suspect.DISMISSED


@pytest.mark.django_db(transaction=True)
def test_a_transcribed_call_is_scored_after_the_commit(org_tree, make_call, settings):
    """recordings sends recording_transcribed in the transaction that stores the transcript; call
    QA queues its task on commit (run eagerly here)."""
    from recordings.signals import send_transcribed
    from voc.celery import app

    rec = make_call(org_tree.bj, BAD_CALL)
    app.conf.task_always_eager = True
    try:
        with transaction.atomic():
            send_transcribed(rec.pk)
            assert not CallScore.objects.filter(recording=rec).exists()  # not before the commit
        assert CallScore.objects.get(recording=rec).score == 55
    finally:
        app.conf.task_always_eager = False


def test_the_batch_scores_every_unscored_transcribed_call(org_tree, make_call):
    done = [make_call(org_tree.bj, GOOD_CALL) for _ in range(2)]
    services.recording_score(recording_id=done[0].pk)
    queued = make_call(org_tree.sh, GOOD_CALL)
    CallRecording.objects.filter(pk=queued.pk).update(status=CallRecording.Status.QUEUED)
    assert services.score_unscored() == 1
    assert set(CallScore.objects.values_list("recording_id", flat=True)) == {done[0].pk, done[1].pk}
    assert services.score_unscored() == 0


@pytest.mark.skipif(not hasattr(TranscriptSegment, "speaker"), reason="segments carry no speaker yet")
def test_a_stereo_call_checks_the_agents_words_only(org_tree, make_call):
    segments = [
        (0.0, 3.0, "您好，本次通话将被录音吗"),
        (4.0, 8.0, "你们说保本保息的"),
        (9.0, 12.0, "您好，先核实一下您的身份"),
    ]
    rec = make_call(org_tree.bj, segments, speakers=["customer", "customer", "agent"])
    score = services.recording_score(recording_id=rec.pk)
    assert set(score.hits.values_list("rule_key", flat=True)) >= {"recording_notice"}
    assert "promise_returns" not in set(score.hits.values_list("rule_key", flat=True))
    assert score.speakers_known is True
