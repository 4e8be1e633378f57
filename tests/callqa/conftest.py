"""Fixtures for call QA: transcribed calls built directly (segments and small real WAV files),
in an unequal estate (BJ with its sub-branch BJ-CY, SH), agents at head office and branches."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from accounts import roles
from recordings.models import CallRecording, TranscriptSegment

TZ = ZoneInfo("Asia/Shanghai")
# The call-centre week the tests live in (Monday 2026-11-30) and the one before.
THIS_WEEK = dt.datetime(2026, 12, 2, 10, 0, tzinfo=TZ)
LAST_WEEK = dt.datetime(2026, 11, 25, 10, 0, tzinfo=TZ)

GOOD_CALL = [
    (0.0, 4.0, "您好，很高兴为您服务，本次通话将被录音"),
    (5.0, 9.0, "我想问一下信用卡年费"),
    (10.0, 14.0, "好的，先核实一下您的身份，请问您的姓名"),
    (15.0, 18.0, "我叫张三"),
    (19.0, 23.0, "年费已经为您减免，还有其他可以帮您的吗"),
    (24.0, 26.0, "没有了"),
    (27.0, 30.0, "感谢您的来电，祝您生活愉快"),
]
# No recording notice, a promise of returns at 12 s, an angry customer.
BAD_CALL = [
    (0.0, 3.0, "您好"),
    (4.0, 9.0, "我要投诉，你们乱收费，再这样我去银保监"),
    (10.0, 16.0, "这个理财保本保息，稳赚不赔"),
    (17.0, 20.0, "先核实一下您的身份"),
    (21.0, 24.0, "感谢您的来电"),
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _wav(seconds: float = 1.0) -> bytes:
    """A quiet 440 Hz tone (8 kHz mono), long enough to seek in."""
    import io
    import wave

    import numpy as np

    t = np.arange(int(8000 * seconds)) / 8000
    samples = (np.sin(2 * np.pi * 440 * t) * 2000).astype(np.int16)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(samples.tobytes())
    return buf.getvalue()


def make_call_row(
    org, segments, *, agent=None, complaint=None, started=THIS_WEEK, speakers=None, audio_s: float = 1.0
) -> CallRecording:
    """A transcribed call (status done, listening copy ok) with these (start, end, text) segments."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    n = CallRecording.objects.count() + 1
    sha = f"qa{n:062d}"
    original = default_storage.save(f"recordings/original/{sha}.wav", ContentFile(_wav(audio_s)))
    redacted = default_storage.save(f"recordings/redacted/{sha}.wav", ContentFile(_wav(audio_s)))
    rec = CallRecording.objects.create(
        complaint=complaint,
        owner_org=complaint.responsible_org if complaint else org,
        uploaded_by=agent,
        agent=agent,
        file=original,
        redacted_file=redacted,
        original_name=f"qa-{n}.wav",
        size_bytes=16044,
        sha256=sha,
        audio_format="wav",
        duration_s=max(e for _, e, _ in segments) + 1,
        call_started_at=started,
        status=CallRecording.Status.DONE,
        redaction=CallRecording.Redaction.OK,
    )
    for i, (start, end, text) in enumerate(segments):
        extra = {"speaker": speakers[i]} if speakers else {}
        TranscriptSegment.objects.create(
            recording=rec, index=i, start=start, end=end, text_original=text, text_redacted=text, **extra
        )
    return rec


def ensure_default_rules() -> None:
    """The default rule set is migration data: a transactional test (or a browser journey) that ran
    before ends with a flush that removes it, so put it back the way the migration writes it."""
    from importlib import import_module

    from django.apps import apps

    from callqa.models import QaRule

    if not QaRule.objects.exists():
        import_module("callqa.migrations.0002_default_rules").seed(apps, None)


@pytest.fixture
def make_call(db):
    ensure_default_rules()
    return make_call_row


@pytest.fixture
def staff(org_tree, make_user):
    class Staff:
        ho_agent = make_user(roles.AGENT, org_tree.ho, "agent_ho")
        bj_agent = make_user(roles.BRANCH_HANDLER, org_tree.bj, "agent_bj")
        sh_agent = make_user(roles.BRANCH_HANDLER, org_tree.sh, "agent_sh")
        ho_officer = make_user(roles.HO_OFFICER, org_tree.ho)
        ho_listener = make_user(roles.LISTENING_MANAGER, org_tree.ho)
        bj_manager = make_user(roles.BRANCH_MANAGER, org_tree.bj)
        sh_listener = make_user(roles.LISTENING_MANAGER, org_tree.sh)
        bj_handler = make_user(roles.BRANCH_HANDLER, org_tree.bj, "handler_bj")
        auditor = make_user(roles.AUDITOR, org_tree.ho)

    return Staff
