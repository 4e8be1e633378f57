"""Demo recordings: short calls synthesised with espeak-ng at seed time (Mandarin via the
``cmn-latn-pinyin`` voice, and English), with spoken card and phone numbers, attached to
demo cases, transcribed (synchronously), some flagged as typical. Idempotent.

Every number in a call's text is marked ``[[...]]``: the call is synthesised piece by piece,
so ``synthesise`` knows exactly when each number is spoken (the tests compare the listening
copy with the original over those spans, by audio, not by transcript).

With ``options["quick"]`` the recordings are uploaded but left queued for the worker.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import roles
from accounts.models import User
from complaints.models import Complaint

from .models import CallRecording, ListeningEvent


@dataclass(frozen=True)
class DemoCall:
    name: str
    branch: str  # the demo case is taken from this branch's subtree
    voice: str
    language: str
    text: str
    flag_note: str = ""
    linked: bool = True
    speed: int = 140  # espeak words per minute


CALLS = (
    DemoCall(
        "demo-bj-annual-fee-zh.wav",
        "BJ",
        "cmn-latn-pinyin",
        "zh",
        # espeak's pinyin voice is robotic: an opening sentence the base model recognises
        # (银行的服务太差了) keeps the call from being judged "no speech" at 8 kHz.
        "yin2 hang2 de fu2 wu4 tai4 cha4 le. wo3 yao4 tou2 su4 fu2 wu4. "
        "wo3 de xin4 yong4 ka3 bei4 shou1 le5 nian2 fei4. "
        "ka3 hao4 shi4. [[liu4 er4 er4 er4 ling2 er4 yi1 er4 san1 si4 wu3 liu4 qi1 ba1 jiu3 ling2.]] "
        "wo3 yao1 qiu2 tui4 kuan3.",
        flag_note="典型：未开卡收取年费，客户情绪激动，坐席安抚得当。",
        # at 140 words a minute, synthesised sentence by sentence, the base model hears a loop
        # ("铁铁铁…") instead of the call; at 120 it hears the call
        speed=120,
    ),
    DemoCall(
        "demo-sh-app-outage-en.wav",
        "SH",
        "en",
        "en",
        "Hello. I am calling because the mobile banking app crashed three times when I tried to transfer money. "
        "My phone number is [[1 3 9 1 2 3 4 5 6 7 8.]] I am not satisfied, please fix the app.",
        flag_note="Typical: app outage during a transfer; listen to how the agent handled it.",
    ),
    DemoCall(
        "demo-unlinked-refund-en.wav",
        "GZ",
        "en",
        "en",
        "I want to complain. You overcharged my credit card and I want a refund, "
        "otherwise I will call [[1 2 3 7 8]] and the regulator.",
        linked=False,
    ),
)


def synthesise(call: DemoCall, folder: Path) -> tuple[Path, list[tuple[float, float]]]:
    """The call as a telephone-quality WAV, and the (start, end) seconds of every marked number."""
    pieces = [p for p in re.split(r"(\[\[.*?\]\])", call.text) if p.strip(" .")]
    files, marked = [], []
    for i, piece in enumerate(pieces):
        raw = folder / f"piece-{i}-{call.name}"
        text = piece.strip("[]")
        cmd = ["espeak-ng", "-v", call.voice, "-s", str(call.speed), "-w", str(raw), text]
        subprocess.run(cmd, check=True, timeout=60)
        files.append(raw)
        marked.append(piece.startswith("[["))
    joined, out = folder / f"raw-{call.name}", folder / call.name
    subprocess.run(["sox", *map(str, files), str(joined)], check=True, timeout=60)
    # telephone quality: 8 kHz mono, like the call-centre recorder
    subprocess.run(["sox", "-R", str(joined), "-r", "8000", "-c", "1", str(out)], check=True, timeout=60)
    spans, t = [], 0.0
    for raw, is_number in zip(files, marked, strict=True):
        with wave.open(str(raw), "rb") as w:
            length = w.getnframes() / w.getframerate()
        if is_number:
            spans.append((round(t, 3), round(t + length, 3)))
        t += length
    return out, spans


def _case_for(branch: str) -> Complaint | None:
    return (
        Complaint.objects.filter(responsible_org__path__startswith=f"HO/{branch}/", channel=Complaint.Channel.HOTLINE)
        .order_by("id")
        .first()
    )


def seed(stdout=None, options=None) -> None:
    from . import services

    options = options or {}
    say = stdout.write if stdout else (lambda _msg: None)
    if not (shutil.which("espeak-ng") and shutil.which("sox")):
        say("recordings: espeak-ng/sox not installed, demo recordings skipped")
        return
    agent = User.objects.filter(username="agent").first()
    officer = User.objects.filter(username="ho_officer").first()
    if agent is None:
        say("recordings: no demo users, skipped")
        return
    made = transcribed = flagged = 0
    with tempfile.TemporaryDirectory(prefix="voc-demo-") as tmp:
        for call in CALLS:
            rec = CallRecording.objects.filter(original_name=call.name).first()
            if rec is None:
                path, _numbers = synthesise(call, Path(tmp))
                complaint = _case_for(call.branch) if call.linked else None
                upload = SimpleUploadedFile(call.name, path.read_bytes(), content_type="audio/wav")
                rec = services.recording_upload(
                    uploaded_by=agent, upload=upload, complaint=complaint, language=call.language
                ).recording
                made += 1
            if options.get("quick"):
                continue
            if rec.status in (CallRecording.Status.QUEUED, CallRecording.Status.PROCESSING):
                services.recording_transcribe(recording_id=rec.pk)
                transcribed += 1
                rec.refresh_from_db()
            if officer and rec.redaction == CallRecording.Redaction.REVIEW:
                # The demo shows the review step done: head office listened, then released it.
                services.listening_event_record(user=officer, recording=rec, version=ListeningEvent.Version.REDACTED)
                services.recording_redaction_release(actor=officer, recording=rec, note="演示：已完整收听，放行")
                rec.refresh_from_db()
            if call.flag_note and officer and not hasattr(rec, "flag") and rec.redaction == CallRecording.Redaction.OK:
                services.recording_flag(
                    actor=officer,
                    recording=rec,
                    note=call.flag_note,
                    audience_roles=[roles.LISTENING_MANAGER, roles.BRANCH_MANAGER],
                )
                flagged += 1
    say(f"recordings: {made} demo recordings, {transcribed} transcribed, {flagged} flagged")
