"""Demo call history (issue 16, hot topics): half a year of short transcribed calls at the BJ
and SH branches, so the TOP page's hot-topic panel has a baseline to judge against, with one
planted phrase rising this week: 手机银行闪退 (the mobile app crashing) in BJ's calls.

The calls are rows with a transcript only (no speech to recognise, which would take minutes per
call on the demo machine): each holds a tiny silent WAV as its original and listening copy, its
redacted text already masked (the way the pipeline writes it), and every other one is linked to
one of the branch's demo hotline cases. Seeded by the analytics demo step (after the cases).
Idempotent: nothing is made when the history exists."""

from __future__ import annotations

import hashlib
import io
import random
import wave
from datetime import date, datetime, time, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from accounts.models import Organisation
from complaints.models import Complaint

from .models import CallRecording, TranscriptSegment

PREFIX = "demo-history-"
PLANTED = "手机银行闪退"
PLANTED_BRANCH = "BJ"
WEEKS = 26
CALLS_PER_WEEK = 14
PLANTED_THIS_WEEK = 9
TOPICS = (
    "我想查询一下房贷利率",
    "转账一直没有到账",
    "网点排队时间太长",
    "存款证明怎么开",
    "理财产品收益太低",
    "信用卡账单分期手续费",
    "客服电话一直打不通",
    "外币兑换汇率不对",
)


def _wav(n: int) -> bytes:
    """A silent 8 kHz WAV of a length unique to ``n`` (distinct files, distinct SHA-256)."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * (800 + n))
    return buf.getvalue()


def _text(rng: random.Random, planted: bool) -> str:
    parts = ["您好，我的卡号是[卡号已隐去]", *rng.sample(TOPICS, 2)]
    if planted:
        parts.insert(1, f"{PLANTED}了，转不了账")
    return "，".join(parts) + "。"


def seed_history(say=lambda _msg: None, *, today: date | None = None) -> int:
    """Make the history once; returns how many calls were made."""
    if CallRecording.objects.filter(original_name__startswith=PREFIX).exists():
        return 0
    today = today or timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    rng = random.Random(16)
    made = 0
    for branch in ("BJ", "SH"):
        org = Organisation.objects.filter(code=branch).first()
        if org is None:
            continue
        # BJ/SH hotline cases to link half of the calls to (not the first: the synthesised demo
        # calls of recordings.demo go there)
        cases = list(
            Complaint.objects.filter(
                responsible_org__path__startswith=org.path, channel=Complaint.Channel.HOTLINE
            ).order_by("id")[1:40]
        )
        recs, texts = [], []
        for w in range(WEEKS, -1, -1):
            start = monday - timedelta(weeks=w)
            days = (today - start).days + 1 if w == 0 else 7  # this week: up to today only
            planted = PLANTED_THIS_WEEK if (w == 0 and branch == PLANTED_BRANCH) else rng.choice((0, 0, 0, 1))
            for i in range(CALLS_PER_WEEK):
                n = made + len(recs)
                data = _wav(n)
                sha = hashlib.sha256(data).hexdigest()
                name = default_storage.save(f"recordings/original/{sha[:2]}/{sha}.wav", ContentFile(data))
                red = default_storage.save(f"recordings/redacted/{sha[:2]}/{sha}-1.wav", ContentFile(data))
                started = timezone.make_aware(datetime.combine(start + timedelta(days=i % days), time(9 + i % 8)))
                recs.append(
                    CallRecording(
                        complaint=cases[(n // 2) % len(cases)] if cases and i % 2 == 0 else None,
                        owner_org=org,
                        file=name,
                        redacted_file=red,
                        original_name=f"{PREFIX}{branch.lower()}-{n:04d}.wav",
                        size_bytes=len(data),
                        sha256=sha,
                        audio_format="wav",
                        duration_s=round((800 + n) / 8000, 3),
                        call_started_at=started,
                        language=CallRecording.Language.ZH,
                        status=CallRecording.Status.DONE,
                        redaction=CallRecording.Redaction.OK,
                        sensitive_count=1,
                        queued_at=started,
                        finished_at=started,
                    )
                )
                texts.append(_text(rng, i < planted))
        CallRecording.objects.bulk_create(recs)
        TranscriptSegment.objects.bulk_create(
            TranscriptSegment(
                recording=r,
                index=0,
                start=0.0,
                end=r.duration_s or 0.1,
                text_original=t.replace("[卡号已隐去]", "[演示：原文未保存]"),
                text_redacted=t,
                has_sensitive=True,
            )
            for r, t in zip(recs, texts, strict=True)
        )
        made += len(recs)
    say(f"recordings: {made} demo history calls (hot topic planted: {PLANTED} at {PLANTED_BRANCH} this week)")
    return made
