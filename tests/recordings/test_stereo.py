"""Stereo calls (issue 16): each channel transcribed alone, segments labelled agent/customer and
interleaved in time; mono calls keep one unknown speaker and say so; the listening copy of a
stereo call mutes personal data on both channels, found per channel and across the two."""

from __future__ import annotations

import re
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
from django.urls import reverse

from recordings.deid import plan_listening_copy
from recordings.models import CallRecording, TranscriptSegment
from recordings.pipeline import Transcript
from recordings.redaction import SegmentText, Word
from recordings.services.transcription import recording_transcribe
from recordings.services.upload import recording_upload
from recordings.speech import audio
from recordings.stereo import channel_speakers, interleave, plan_stereo
from tests.complaints.factories import ComplaintFactory
from tests.recordings import audio_factory as af
from tests.recordings.conftest import silence, tts, upload_of

S = CallRecording.Status
DIGIT_WORD = re.compile(r"(?<![a-z])(?:\d|zero|one|two|three|four|five|six|seven|eight|nine)(?![a-z])", re.IGNORECASE)


def _seg(words: list[tuple[str, float, float, float]]) -> SegmentText:
    ws = tuple(Word(start=a, end=b, text=t, prob=p) for t, a, b, p in words)
    return SegmentText(start=ws[0].start, end=ws[-1].end, text="".join(w.text for w in ws).strip(), words=ws)


def _part(segs: list[SegmentText], speech: list[tuple[float, float]]) -> Transcript:
    return Transcript("en", 12.0, "faster-whisper", "x", segs, [0.9] * len(segs), speech=speech)


def _muted(plan, a: float, b: float) -> bool:
    return any(x <= a + 1e-6 and b - 1e-6 <= y for x, y in plan.mute_times)


# --- pure: interleaving and the stereo listening plan ---------------------------------------


def test_segments_are_interleaved_by_time_with_their_speaker():
    agent = _part([_seg([(" Hello", 0.5, 0.9, 0.9)]), _seg([(" Sure", 4.0, 4.4, 0.9)])], [(0.5, 0.9), (4.0, 4.4)])
    customer = _part([_seg([(" Hi", 2.0, 2.3, 0.9)]), _seg([(" Thanks", 6.0, 6.5, 0.9)])], [(2.0, 2.3), (6.0, 6.5)])
    t = interleave([("agent", agent), ("customer", customer)])
    assert [s.text for s in t.segments] == ["Hello", "Hi", "Sure", "Thanks"]
    assert t.speakers == ["agent", "customer", "agent", "customer"] and t.stereo
    assert t.speech == [(0.5, 0.9), (2.0, 2.3), (4.0, 4.4), (6.0, 6.5)]
    mono = _part([_seg([(" Hello", 0.5, 0.9, 0.9)])], [(0.5, 0.9)])
    assert not mono.stereo and mono.speaker_of(0) == "unknown"


def test_a_cue_said_by_the_agent_mutes_the_customer_words_that_follow():
    """The agent asks for the card number; the recogniser hears the customer's digits as doubtful
    plain words (none of them a known near-miss for a digit). The customer's channel alone has no cue and keeps them; the stereo plan mutes them."""
    agent = _part([_seg([(" What", 1.0, 1.2, 0.9), (" is", 1.2, 1.3, 0.9), (" your", 1.3, 1.5, 0.9),
                         (" card", 1.5, 1.8, 0.9), (" number", 1.8, 2.2, 0.9)])], [(1.0, 2.2)])  # fmt: skip
    heard = [
        (" bread", 3.0, 3.3, 0.3),
        (" cloud", 3.4, 3.7, 0.25),
        (" marble", 3.8, 4.1, 0.3),
        (" garden", 4.2, 4.6, 0.2),
    ]
    customer = _part([_seg(heard), _seg([(" Thanks", 6.0, 6.3, 0.95), (" a", 6.3, 6.4, 0.95),
                                         (" lot", 6.4, 6.6, 0.95), (" really", 6.6, 7.0, 0.95)])],
                     [(3.0, 4.6), (6.0, 7.0)])  # fmt: skip
    kw = {"language": "en", "duration_s": 12.0, "pad_s": 0.3}
    alone = plan_listening_copy(customer.segments, speech=customer.speech, **kw)
    assert not _muted(alone, 3.0, 4.6)  # what the per-channel view alone would keep audible
    plan = plan_stereo(interleave([("agent", agent), ("customer", customer)]), **kw)
    assert _muted(plan, 3.0, 4.6)
    assert "cloud" not in plan.segments[1].redacted and "removed]" in plan.segments[1].redacted
    assert plan.segments[2].redacted == "Thanks a lot really"  # the harmless reply stays


def test_customer_speech_without_words_is_muted_even_while_the_agent_talks():
    """The customer says something the recogniser dropped, over the agent's words: in one stream
    the agent's words 'cover' that second; per channel it is speech without words."""
    words = [(" I", 2.0, 2.2, 0.95), (" will", 2.2, 2.5, 0.95), (" check", 2.5, 3.0, 0.95), (" that", 3.0, 3.4, 0.95),
             (" for", 3.4, 3.7, 0.95), (" you", 3.7, 4.0, 0.95)]  # fmt: skip
    agent = _part([_seg(words)], [(2.0, 4.0)])
    customer = _part([], [(2.0, 4.0)])
    kw = {"language": "en", "duration_s": 12.0, "pad_s": 0.3}
    t = interleave([("agent", agent), ("customer", customer)])
    together = plan_listening_copy(t.segments, speech=t.speech, **kw)
    assert not _muted(together, 2.2, 3.8)  # one stream: covered by the agent's words
    plan = plan_stereo(t, **kw)
    assert _muted(plan, 2.0, 4.0) and plan.uncovered_s >= 1.9
    assert any(r.startswith("customer:") for r in plan.review)  # and a person must listen first
    assert plan.segments[0].redacted.startswith("I will check")  # the agent's text is not PII


def test_the_channel_speaker_setting_is_checked():
    assert channel_speakers(["customer", "agent"]) == ("customer", "agent")
    with pytest.raises(ValueError, match="RECORDING_CHANNEL_SPEAKERS"):
        channel_speakers(["agent", "agent"])


# --- decoding -----------------------------------------------------------------------------


def _stereo(dst: Path, left: Path, right: Path) -> Path:
    subprocess.run(["sox", "-R", "-M", str(left), str(right), str(dst)], check=True, capture_output=True)
    return dst


def _mono_parts(tmp: Path) -> tuple[Path, Path]:
    """Agent on one channel, the customer (reading a card number) on the other, a few seconds later."""
    agent = tts(tmp / "agent.wav", "Thank you for calling the bank. How can I help you today?")
    customer = tts(tmp / "cust.wav", "My card number is 4 5 6 7 8 9 1 2 3 4. Please refund the fee.")
    gap = silence(tmp / "gap.wav", 5.0)
    left = af.concat(tmp / "left.wav", agent, gap, gap)
    right = af.concat(tmp / "right.wav", gap, customer, silence(tmp / "tail.wav", 1.0))
    n = min(_frames(left), _frames(right))
    for p in (left, right):  # same length, so sox -M pads nothing
        subprocess.run(["sox", str(p), str(p.with_suffix(".t.wav")), "trim", "0", f"{n}s"], check=True)
        p.with_suffix(".t.wav").replace(p)
    return left, right


def _frames(p: Path) -> int:
    with wave.open(str(p), "rb") as w:
        return w.getnframes()


@pytest.fixture(scope="module")
def stereo_call(tmp_path_factory) -> tuple[Path, Path, Path]:
    if not af.tools_available():
        pytest.skip("espeak-ng/sox/ffmpeg not installed")
    tmp = tmp_path_factory.mktemp("stereo")
    left, right = _mono_parts(tmp)
    return _stereo(tmp / "call.wav", left, right), left, right


def test_decode_call_splits_a_stereo_file_and_calls_a_copied_mono_file_mono(stereo_call, tmp_path):
    call, left, right = stereo_call
    d = audio.decode_call(call, tmp_path / "a", timeout_s=60)
    assert d.layout == "stereo" and len(d.channels) == 2 and d.stereo_wav.is_file()
    with wave.open(str(d.stereo_wav)) as w:
        assert w.getnchannels() == 2 and w.getframerate() == 16000
    same = _stereo(tmp_path / "same.wav", left, left)
    d2 = audio.decode_call(same, tmp_path / "b", timeout_s=60)
    assert d2.layout == "mono" and d2.mono.is_file() and "same audio" in d2.note
    d3 = audio.decode_call(left, tmp_path / "c", timeout_s=60)
    assert d3.layout == "mono" and not d3.note


# --- the job ------------------------------------------------------------------------------


@pytest.fixture
def bj_case(org_tree):
    return ComplaintFactory(responsible_org=org_tree.bj)


def _read(path: str) -> tuple[np.ndarray, int]:
    with wave.open(path, "rb") as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, w.getnchannels())
        return x.astype(np.float64), w.getframerate()


def _hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[int(np.argmax(spectrum))])


def test_a_stereo_call_is_transcribed_per_speaker_and_its_copy_mutes_both_channels(
    client, people, bj_case, stereo_call, tmp_path
):
    call, _left, _right = stereo_call
    rec = recording_upload(
        uploaded_by=people.bj_handler, upload=upload_of(call), complaint=bj_case, language="en"
    ).recording
    assert recording_transcribe(recording_id=rec.pk) == S.DONE
    rec.refresh_from_db()
    assert rec.channel_layout == CallRecording.ChannelLayout.STEREO
    segs = list(rec.segments.order_by("index"))
    speakers = [s.speaker for s in segs]
    assert set(speakers) == {"agent", "customer"} and speakers[0] == "agent"
    assert [s.start for s in segs] == sorted(s.start for s in segs)  # interleaved by time
    agent_text = " ".join(s.text_original for s in segs if s.speaker == "agent").lower()
    customer = [s for s in segs if s.speaker == "customer"]
    assert "calling" in agent_text and "card" not in agent_text
    assert "card" in " ".join(s.text_original for s in customer).lower()
    assert not any(DIGIT_WORD.search(s.text_redacted) for s in segs)
    assert any(s.has_sensitive for s in customer)

    # The listening copy is stereo; over the digits both channels carry the tone.
    red, rate = _read(rec.redacted_file.path)
    assert red.shape[1] == 2 and rate == 16000
    digits = [w for s in customer for w in s.words if DIGIT_WORD.search(w["text"])]
    a, b = min(w["start"] for w in digits), max(w["end"] for w in digits)
    inside = red[int((a + 0.05) * rate) : int((b - 0.05) * rate)]
    assert len(inside) > rate // 2
    assert abs(_hz(inside[:, 0], rate) - 1000) < 20 and abs(_hz(inside[:, 1], rate) - 1000) < 20

    # The player shows who spoke; the API gives the speaker of each segment.
    client.force_login(people.bj_handler)
    body = client.get(reverse("recordings:detail", args=[rec.pk])).content.decode()
    assert 'data-speaker="agent"' in body and 'data-speaker="customer"' in body and "data-rec-mono" not in body
    assert body.index('data-speaker="agent"') < body.index('data-speaker="customer"')
    api = client.get(reverse("recordings_api:detail", args=[rec.pk])).json()
    assert [x["speaker"] for x in api["segments"]] == speakers


def test_a_mono_call_keeps_one_unknown_speaker_and_says_so(client, people, bj_case, stereo_call):
    _call, left, _right = stereo_call
    rec = recording_upload(
        uploaded_by=people.bj_handler, upload=upload_of(left, "mono.wav"), complaint=bj_case, language="en"
    ).recording
    assert recording_transcribe(recording_id=rec.pk) == S.DONE
    rec.refresh_from_db()
    assert rec.channel_layout == CallRecording.ChannelLayout.MONO
    assert set(rec.segments.values_list("speaker", flat=True)) == {TranscriptSegment.Speaker.UNKNOWN}
    client.force_login(people.bj_handler)
    body = client.get(reverse("recordings:detail", args=[rec.pk])).content.decode()
    assert "data-rec-mono" in body and "data-speaker=" not in body


def test_call_qa_measures_a_stored_stereo_recording_from_its_audio(people, bj_case, stereo_call, settings):
    """callqa.audio.facts_for_recording: the stored upload decoded again, per channel, measured
    (the agent speaks first, the customer about five seconds later, no over-talk)."""
    from callqa.audio import facts_for_recording

    call, _left, _right = stereo_call
    rec = recording_upload(uploaded_by=people.bj_handler, upload=upload_of(call), complaint=bj_case).recording
    f = facts_for_recording(rec)
    assert f.stereo and f.overtalk == ()
    assert f.speech["agent"][0].start < 1.0 and f.speech["customer"][0].start > 4.5
    assert f.talk_seconds("agent") > 2.0 and f.talk_seconds("customer") > 4.0
    settings.RECORDING_CHANNEL_SPEAKERS = ["customer", "agent"]  # the other wiring: the roles swap
    swapped = facts_for_recording(rec)
    assert swapped.speech["customer"] == f.speech["agent"]
    Path(rec.file.path).unlink()
    assert facts_for_recording(rec) is None  # no file: the caller reads the facts off the transcript


# --- manage.py transcribe -------------------------------------------------------------------


def test_transcribe_command_gives_each_speaker_of_a_stereo_file(stereo_call):
    import io
    import json

    from django.core.management import call_command

    call, left, _right = stereo_call
    out = io.StringIO()
    call_command("transcribe", str(call), "--model", "pkg:tiny.en", "--language", "en", stdout=out,
                 stderr=io.StringIO())  # fmt: skip
    lines = out.getvalue().splitlines()
    assert lines[0] == "stereo: agent / customer (channels)"
    said = {sp: " ".join(x for x in lines if f"] {sp}: " in x).lower() for sp in ("agent", "customer")}
    assert "calling" in said["agent"] and "card" in said["customer"] and "card" not in said["agent"]

    out = io.StringIO()
    call_command("transcribe", str(call), "--model", "pkg:tiny.en", "--language", "en", "--redact", "--json",
                 "--stereo-mode", "downmix", stdout=out, stderr=io.StringIO())  # fmt: skip
    data = json.loads(out.getvalue())
    assert data["layout"] == "stereo" and data["segments"][0]["speaker"] == "agent"
    customer = " ".join(s["text"] for s in data["segments"] if s["speaker"] == "customer").lower()
    assert "card" in customer and not DIGIT_WORD.search(customer)  # de-identified, per speaker

    out = io.StringIO()
    call_command("transcribe", str(left), "--model", "pkg:tiny.en", "--language", "en", stdout=out,
                 stderr=io.StringIO())  # fmt: skip
    assert out.getvalue().startswith("mono: one speaker") and "agent:" not in out.getvalue()
