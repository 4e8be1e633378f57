"""Every write of call QA: rule versions, scoring a call, overturning a hit.

The matcher (``callqa.rules``) is pure; this module reads a recording's transcript into ``Turn``s,
its audio facts (measured by ``callqa.audio`` while the transcription job had the audio decoded,
stored as ``CallAudioFacts``; else the transcript's times), runs the active rule versions and
stores the result.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import current_app
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditAction, User
from accounts.services import audit_record
from complaints.pii import mask_text
from recordings.models import CallRecording

from . import rules, selectors
from .facts import AudioFacts, Turn, Word
from .models import CallAudioFacts, CallScore, QaHit, QaRule, QaRuleVersion

log = logging.getLogger(__name__)

# The Celery task that scores one call, sent by name: this module does not import callqa.tasks
# (which calls it), so services and tasks form no import cycle. CallqaConfig.ready imports the
# tasks, so every process (the web's too) knows the name.
SCORE_TASK = "callqa.score_recording"


def score_send(recording_id: int) -> None:
    """Queue the scoring of one call. Raises when the task cannot be sent (broker down, or a
    process that does not know the task): each caller decides what a call not sent means."""
    current_app.tasks[SCORE_TASK].delay(recording_id)


# --- rules as data -------------------------------------------------------------------


@transaction.atomic
def rule_save(*, actor: User | None, rule: QaRule) -> QaRule:
    """Save a rule; a change of what it checks (phrases, parameters, weight, kind, active) is a new
    version, numbered after the last one. Scores keep the versions they were computed with."""
    rule.full_clean()
    latest = rule.versions.order_by("-version").first() if rule.pk else None
    content = rule.content()
    if latest is None or _content_of(latest) != content:
        rule.version = (latest.version if latest else 0) + 1
        rule.save()
        QaRuleVersion.objects.create(
            rule=rule,
            version=rule.version,
            name=content["name"],
            kind=content["kind"],
            phrases=content["phrases"],
            params=content["params"],
            weight=content["weight"],
            active=content["active"],
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
    else:
        rule.save()
    return rule


def _content_of(v: QaRuleVersion) -> dict:
    return {
        "name": v.name,
        "kind": v.kind,
        "phrases": v.phrases,
        "params": v.params,
        "weight": v.weight,
        "active": v.active,
    }


def current_versions() -> list[QaRuleVersion]:
    """The latest version of every rule, active ones only."""
    latest = QaRuleVersion.objects.values("rule_id").annotate(v=Max("version"))
    wanted = {(row["rule_id"], row["v"]) for row in latest}
    versions = QaRuleVersion.objects.select_related("rule").filter(rule_id__in=[r for r, _v in wanted], active=True)
    return [v for v in versions if (v.rule_id, v.version) in wanted]


# --- what the matcher reads ----------------------------------------------------------


def turns_of(rec: CallRecording) -> list[Turn]:
    turns = []
    for seg in rec.segments.order_by("start", "index"):
        words = tuple(
            Word(str(w.get("text", "")), float(w["start"]), float(w["end"]), w.get("prob"))
            for w in (seg.words or [])
            if w.get("start") is not None and w.get("end") is not None
        )
        speaker = getattr(seg, "speaker", "") or "unknown"
        turns.append(Turn(speaker, float(seg.start), float(seg.end), seg.text_original, words))
    return turns


def audio_facts_measure(*, recording_id: int, decoded, speakers) -> CallAudioFacts | None:
    """Measure a call's audio while the transcription job has it decoded (``callqa.hooks``) and
    store the facts, replacing any from an earlier attempt. None when the recording is gone."""
    from . import audio

    facts = audio.facts_of_decoded(decoded, speakers)
    if not CallRecording.objects.filter(pk=recording_id).exists():
        return None
    row, _created = CallAudioFacts.objects.update_or_create(
        recording_id=recording_id,
        defaults={"facts": audio.facts_to_json(facts), "version": audio.FACTS_VERSION, "measured_at": timezone.now()},
    )
    return row


def audio_facts_of(rec: CallRecording, turns: list[Turn]) -> tuple[AudioFacts, str]:
    """(facts, where they came from): "stored" when the transcription job measured the call
    (``audio_facts_measure``, no decoding here); "audio" when the upload had to be decoded again
    (a call transcribed before the facts were stored, or stored facts of an older measurement);
    "transcript" (read off the segments' times) when the audio cannot be read either."""
    from . import audio

    row = CallAudioFacts.objects.filter(recording=rec, version=audio.FACTS_VERSION).first()
    if row is not None:
        try:
            return audio.facts_from_json(row.facts), "stored"
        except (KeyError, TypeError, ValueError):
            log.warning("stored audio facts of recording %s are unreadable; measuring again", rec.pk)
    facts = audio.facts_for_recording(rec)
    if facts is not None:
        return facts, "audio"
    stereo = getattr(rec, "channel_layout", "") == "stereo" or any(t.speaker != "unknown" for t in turns)
    duration = float(rec.duration_s or (max((t.end for t in turns), default=0.0)))
    return rules.facts_from_turns(turns, duration=duration, stereo=stereo), "transcript"


def week_of(rec: CallRecording) -> dt.date:
    at = rec.call_started_at or rec.created_at or timezone.now()
    day = timezone.localdate(at)
    return day - dt.timedelta(days=day.weekday())


# --- scoring -------------------------------------------------------------------------


def recording_score(*, recording_id: int, facts: AudioFacts | None = None) -> CallScore | None:
    """Score one transcribed call with the current rule versions (again, if it was scored: hits a
    reviewer overturned stay overturned when the same rule fires at the same second). Returns None
    for a call without a transcript."""
    rec = CallRecording.objects.select_related("agent", "uploaded_by", "owner_org").filter(pk=recording_id).first()
    if rec is None or rec.status != CallRecording.Status.DONE:
        return None
    turns = turns_of(rec)
    source = "given"
    if facts is None:
        facts, source = audio_facts_of(rec, turns)
    versions = current_versions()
    result = rules.evaluate(turns, facts, [v.spec() for v in versions])
    by_id = {v.pk: v for v in versions}
    with transaction.atomic():
        # Lock the call only (PostgreSQL refuses FOR UPDATE on the nullable side of the agent join).
        rec = (
            CallRecording.objects.select_for_update(of=("self",))
            .select_related("agent", "uploaded_by", "owner_org")
            .get(pk=recording_id)
        )
        old = CallScore.objects.filter(recording=rec).first()
        kept: dict[tuple, QaHit] = {}
        if old is not None:
            kept = {_hit_key(h.rule_key, h.second): h for h in old.hits.filter(overturned=True)}
            old.delete()
        agent = rec.agent or rec.uploaded_by
        score = CallScore.objects.create(
            recording=rec,
            score=result.score,
            agent=agent,
            team=(agent.org if agent is not None and agent.org_id else None) or rec.owner_org,
            week=week_of(rec),
            speakers_known=result.speakers_known,
            notes=[*result.notes, f"facts:{source}"],
            emotion=result.emotion,
            emotion_parts=[
                {
                    "source": p.source,
                    "label": p.label,
                    "points": p.points,
                    "second": p.second,
                    "evidence": mask_text(p.evidence),
                }
                for p in result.emotion_parts
            ],
            scored_at=timezone.now(),
        )
        score.rule_versions.set(versions)
        rows = []
        for h in result.hits:
            before = kept.get(_hit_key(h.rule, h.second))
            rows.append(
                QaHit(
                    score=score,
                    rule_version=by_id[h.version_id],
                    rule_key=h.rule,
                    weight=h.weight,
                    speaker=h.speaker or "",
                    second=h.second,
                    end=h.end,
                    text=mask_text(h.text)[:200],
                    detail=describe(h)[:300],
                    overturned=before is not None,
                    overturn_reason=before.overturn_reason if before else "",
                    overturned_by_id=before.overturned_by_id if before else None,
                    overturned_at=before.overturned_at if before else None,
                )
            )
        QaHit.objects.bulk_create(rows)
        if kept:
            _recompute(score)
        if rec.complaint_id is None and rules.is_strong(result.emotion, result.complaint_cue_score):
            _feed_suspects(rec, result)
    return score


def describe(h: rules.Hit) -> str:
    """Why a hit fired, for the pages (stored in the language active when scoring: the default,
    Chinese, in the worker); the matcher's English ``detail`` when it gave no ``why``."""
    code, v = h.why if h.why else ("", {})
    num = lambda x: f"{float(x):g}"  # noqa: E731
    if code == "missing":
        where = ""
        if v.get("first") is not None:
            where = _("（开场 %(s)s 秒内）") % {"s": num(v["first"])}
        elif v.get("last") is not None:
            where = _("（结束前 %(s)s 秒内）") % {"s": num(v["last"])}
        return _("未说必说话术%(where)s：%(phrases)s") % {"where": where, "phrases": v["phrases"]}
    if code == "forbidden":
        return _("禁用语“%(phrase)s”（相似度 %(similarity)s）") % {
            "phrase": v["phrase"],
            "similarity": num(v["similarity"]),
        }
    if code in ("silence", "hold", "overtalk"):
        text = {
            "silence": _("静默 %(seconds)s 秒（上限 %(limit)s 秒）"),
            "hold": _("保持等待 %(seconds)s 秒（上限 %(limit)s 秒）"),
            "overtalk": _("双方同时说话 %(seconds)s 秒（上限 %(limit)s 秒）"),
        }[code]
        return text % {"seconds": num(v["seconds"]), "limit": num(v["limit"])}
    if code == "ratio":
        return _("坐席说话占比 %(ratio)s%%（允许 %(min)s%%–%(max)s%%）") % {
            "ratio": round(100 * v["ratio"]),
            "min": round(100 * v["min"]),
            "max": round(100 * v["max"]),
        }
    if code in ("rate_zh", "rate_en"):
        text = (
            _("语速 %(rate)s 字/分钟（上限 %(limit)s）")
            if code == "rate_zh"
            else _("语速 %(rate)s 词/分钟（上限 %(limit)s）")
        )
        return text % {"rate": v["rate"], "limit": num(v["limit"])}
    return h.detail


def _hit_key(rule_key: str, second: float | None) -> tuple:
    return (rule_key, None if second is None else round(second, 1))


def _feed_suspects(rec: CallRecording, result: rules.Result) -> None:
    from recordings.services import suspect_raise

    hits = [
        {
            "rule": p.key if p.source == "words" else f"qa_{p.key}",  # words: complaint_cues' own rule key
            "phrase": mask_text(p.evidence) if p.source == "words" else _AUDIO_LABELS.get(p.label, p.label),
            "segment": 0,
            "start_s": p.second or 0.0,
            "weight": p.points,
            "reason_zh": p.label if p.source == "words" else "通话质检：客户情绪（音频）",
            "reason_en": "call QA: customer emotion (audio)" if p.source == "audio" else p.label,
        }
        for p in result.emotion_parts
    ]
    suspect_raise(recording_id=rec.pk, hits=hits)


_AUDIO_LABELS = {"loudness_rise": "音量升高", "pitch_rise": "音调升高", "interruption": "打断坐席"}


def _recompute(score: CallScore) -> CallScore:
    live = list(score.hits.filter(overturned=False).values_list("rule_key", "weight"))
    score.score = rules.score_of(live)
    score.save(update_fields=["score"])
    return score


@transaction.atomic
def hit_overturn(*, actor: User, hit: QaHit, reason: str) -> CallScore:
    """A reviewer overturns a hit (the rule misfired): kept with the reason, audited, and the
    call's score recomputed from the hits left."""
    reason = mask_text((reason or "").strip())
    if not selectors.can_review(actor):
        raise ValidationError(_("您没有复核质检结果的权限"), code="forbidden")
    if not reason:
        raise ValidationError({"reason": [_("请说明推翻的理由")]})
    row = QaHit.objects.select_for_update().select_related("score").get(pk=hit.pk)
    if row.overturned:
        raise ValidationError(_("该命中已被推翻"), code="state")
    before = row.score.score
    row.overturned, row.overturn_reason = True, reason[:1000]
    row.overturned_by, row.overturned_at = actor, timezone.now()
    row.save(update_fields=["overturned", "overturn_reason", "overturned_by", "overturned_at"])
    score = _recompute(row.score)
    audit_record(
        actor=actor,
        action=AuditAction.QA_HIT_OVERTURN,
        obj=row,
        recording=row.score.recording_id,
        rule=row.rule_key,
        version=row.rule_version_id,
        second=row.second,
        reason=reason[:200],
        score_before=before,
        score_after=score.score,
    )
    return score


def score_unscored(*, limit: int | None = None) -> int:
    """Score every transcribed call that has no score yet (the batch command). Returns how many."""
    ids = (
        CallRecording.objects.filter(status=CallRecording.Status.DONE, qa_score__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    done = 0
    for pk in list(ids[:limit] if limit else ids):
        try:
            if recording_score(recording_id=pk) is not None:
                done += 1
        except Exception:  # one bad call must not stop the night's batch; it stays unscored
            log.exception("call QA of recording %s failed", pk)
    return done


def nightly_batch(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The night's QA batch (beat entry "callqa-nightly"): every transcribed call that has no score
    is queued for scoring, one task per call, so any number of workers share the night's calls
    (a call the after-transcription hook missed, or scored by nobody because the broker was down).
    Calls of the last 24 hours still waiting for transcription are counted and logged: the
    transcription queue and ``recordings_sweep`` carry them, and each is scored as soon as its
    transcript is stored. A call whose task cannot be sent stays unscored for the next night."""
    now = now or timezone.now()
    S = CallRecording.Status
    ids = CallRecording.objects.filter(status=S.DONE, qa_score__isnull=True).order_by("pk").values_list("pk", flat=True)
    queued = not_sent = 0
    for pk in ids.iterator(chunk_size=2000):
        try:
            score_send(pk)
            queued += 1
        except Exception:
            not_sent += 1
            log.exception("could not queue call QA of recording %s", pk)
    waiting = CallRecording.objects.filter(
        status__in=(S.QUEUED, S.PROCESSING), created_at__gte=now - dt.timedelta(days=1)
    ).count()
    if waiting:
        log.warning("call QA nightly batch: %s call(s) of the last day are still waiting for transcription", waiting)
    return {"queued": queued, "not_sent": not_sent, "waiting_transcription": waiting}
