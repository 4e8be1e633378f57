"""The demo seed (idempotent) and ``manage.py transcribe`` for operators."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from accounts import demo as accounts_demo
from accounts.models import Organisation
from recordings import demo
from recordings.models import CallRecording
from tests.complaints.factories import ComplaintFactory

from .conftest import read_wav, tts

pytestmark = pytest.mark.django_db


def test_demo_seed_attaches_synthesised_calls_and_is_idempotent(db):
    accounts_demo.seed()
    for code in ("BJ-CY", "SH-PD"):
        ComplaintFactory(responsible_org=Organisation.objects.get(code=code))
    out = io.StringIO()
    demo.seed(stdout=out, options={"quick": True})
    demo.seed(stdout=out, options={"quick": True})
    recs = list(CallRecording.objects.order_by("original_name"))
    assert len(recs) == len(demo.CALLS) == 3
    linked = {r.original_name: r.complaint.responsible_org.code if r.complaint else None for r in recs}
    assert linked == {
        "demo-bj-annual-fee-zh.wav": "BJ-CY",
        "demo-sh-app-outage-en.wav": "SH-PD",
        "demo-unlinked-refund-en.wav": None,
    }
    assert {r.language for r in recs} == {"zh", "en"}
    assert all(r.status == CallRecording.Status.QUEUED and r.duration_s > 3 for r in recs)
    assert "3 demo recordings" in out.getvalue() and "0 demo recordings" in out.getvalue()


@pytest.mark.slow
def test_transcribe_command_prints_json(tmp_path):
    wav = tts(tmp_path / "hello.wav", "Good morning, I would like to ask about my statement.")
    out = io.StringIO()
    call_command(
        "transcribe", str(wav), "--model", "pkg:tiny.en", "--language", "en", "--json", stdout=out, stderr=io.StringIO()
    )
    data = json.loads(out.getvalue())
    assert data["engine"] == "faster-whisper" and data["language"] == "en"
    assert "good morning" in " ".join(s["text"] for s in data["segments"]).lower()
    assert data["duration_s"] > 2 and data["rtf"] > 0


def test_transcribe_command_rejects_a_text_file(tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio at all " * 10)
    with pytest.raises(CommandError, match="无法识别"):
        call_command("transcribe", str(bad))


def _windows_still_audible(original: np.ndarray, copy: np.ndarray, spans, rate: int) -> list[float]:
    """Start times of the 100 ms windows inside ``spans`` where the copy still carries the
    original (Pearson correlation > 0.5); windows where the original is silent are skipped."""
    audible, n = [], rate // 10
    for start, end in spans:
        for a in range(int(start * rate), int(end * rate) - n + 1, n):
            o, c = original[a : a + n].astype(float), copy[a : a + n].astype(float)
            if np.sqrt(np.mean(o**2)) < 100 or np.std(c) == 0:
                continue
            if np.corrcoef(o, c)[0, 1] > 0.5:
                audible.append(round(a / rate, 2))
    return audible


@pytest.mark.slow
@pytest.mark.parametrize("call", demo.CALLS, ids=lambda c: c.name)
def test_every_spoken_number_of_the_demo_calls_is_muted_in_the_listening_copy(call, tmp_path, people, settings):
    """Compared by audio, not by transcript: over every stretch where the demo call speaks a
    number, no 100 ms window of the listening copy still correlates with the original.
    (With the product's model, base multilingual: the demo has a Mandarin call.)"""
    settings.TRANSCRIPTION_MODEL = "pkg:base"
    from recordings.services import recording_transcribe, recording_upload
    from recordings.speech.audio import decode_to_wav16k

    from .conftest import upload_of

    path, numbers = demo.synthesise(call, tmp_path)
    assert numbers and all(b - a > 1.0 for a, b in numbers)
    rec = recording_upload(uploaded_by=people.agent, upload=upload_of(path), language=call.language).recording
    assert recording_transcribe(recording_id=rec.pk) == "done"
    rec.refresh_from_db()
    assert rec.redacted_file and rec.redaction in (CallRecording.Redaction.OK, CallRecording.Redaction.REVIEW)
    original, rate = read_wav(decode_to_wav16k(Path(rec.file.path), tmp_path / "orig16k.wav", timeout_s=60))
    copy, copy_rate = read_wav(rec.redacted_file.path)
    assert rate == copy_rate == 16000 and len(copy) == len(original)
    assert _windows_still_audible(original, copy, numbers, rate) == []
    # ... while the complaint itself is still there to hear (not a copy that mutes everything)
    speech_outside = [(0.0, numbers[0][0] - 0.5)]
    assert len(_windows_still_audible(original, copy, speech_outside, rate)) >= 5


@pytest.mark.slow
def test_transcribe_redact_writes_the_listening_copy_and_prints_no_raw_text(tmp_path):
    wav = tts(tmp_path / "card.wav", "I want to complain. My card number is 6 2 2 2 0 2 1 2 3 4 5 6 7 8 9 0. Thanks.")
    out_wav = tmp_path / "listening.wav"
    out = io.StringIO()
    call_command(
        "transcribe", str(wav), "--model", "pkg:tiny.en", "--language", "en", "--redact", "--audio-out",
        str(out_wav), "--json", stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    data = json.loads(out.getvalue())
    text = " ".join(s["text"] for s in data["segments"])
    assert "complain" in text.lower() and not re.search(r"\d", text)
    assert not re.search(r"(?i)\b(six|two|zero|one|three|four|five|seven|eight|nine)\b", text)
    assert data["redaction"] in ("ok", "needs_review") and data["mute"]
    assert {m["reason"] for m in data["mute"]} <= {"number", "cue", "low_confidence", "uncovered", "email", "untimed"}
    assert data["muted_seconds"]["total"] > 3
    copy, rate = read_wav(out_wav)
    first = data["mute"][0]
    inside = copy[int((first["start"] + 0.05) * rate) : int((first["end"] - 0.05) * rate)]
    spectrum = np.abs(np.fft.rfft(inside * np.hanning(len(inside))))
    assert abs(float(np.fft.rfftfreq(len(inside), 1 / rate)[int(np.argmax(spectrum))]) - 1000) < 20  # the tone


def test_transcribe_audio_out_needs_redact(tmp_path):
    wav = tts(tmp_path / "a.wav", "hello")
    with pytest.raises(CommandError, match="--redact"):
        call_command("transcribe", str(wav), "--audio-out", str(tmp_path / "x.wav"))


@pytest.mark.slow
def test_demo_seed_shows_the_review_step_done_and_flags_only_released_copies(db, settings):
    from recordings.models import ListeningEvent

    settings.TRANSCRIPTION_MODEL = "pkg:base"
    accounts_demo.seed()
    for code in ("BJ-CY", "SH-PD"):
        ComplaintFactory(responsible_org=Organisation.objects.get(code=code))
    demo.seed(stdout=io.StringIO(), options={})
    recs = list(CallRecording.objects.all())
    assert len(recs) == 3 and all(r.status == CallRecording.Status.DONE for r in recs)
    assert all(r.redaction == CallRecording.Redaction.OK for r in recs)
    for r in recs:
        if r.redaction_reviewed_by is not None:  # held for review: released only after a play
            assert r.redaction_reviewed_by.username == "ho_officer"
            assert ListeningEvent.objects.filter(recording=r, user=r.redaction_reviewed_by).exists()
    flagged = [r for r in recs if hasattr(r, "flag")]
    assert len(flagged) == 2 and all(r.redaction == CallRecording.Redaction.OK for r in flagged)
