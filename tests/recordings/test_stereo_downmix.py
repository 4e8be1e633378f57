"""Stereo calls recognised in one pass over the mix (issue 16, RECORDING_STEREO_TRANSCRIPTION
"downmix"): each word goes to the channel that is louder over it, a segment whose words change
speaker is split there; and the call's audio facts are measured while the job has the audio decoded,
so call QA never decodes the upload again."""

from __future__ import annotations

import logging
import wave
from pathlib import Path

import numpy as np
import pytest

from recordings.models import CallRecording
from recordings.pipeline import Transcript
from recordings.redaction import SegmentText, Word
from recordings.services.transcription import recording_transcribe
from recordings.services.upload import recording_upload
from recordings.speech import audio
from recordings.stereo import louder_channel, split_by_loudness, transcribe_call_audio
from tests.complaints.factories import ComplaintFactory
from tests.recordings import audio_factory as af
from tests.recordings.conftest import MODEL_CACHE, read_wav, tts, upload_of

S = CallRecording.Status
FRAME = 0.01


# --- pure: words to the louder channel --------------------------------------------------------


def _energies(loud: list[tuple[int, float, float]], seconds: float = 10.0) -> list[np.ndarray]:
    """Frame energies of two channels: a faint floor, and each (channel, start, end) loud."""
    e = [np.full(int(seconds / FRAME), 1e-6), np.full(int(seconds / FRAME), 1e-6)]
    for k, a, b in loud:
        e[k][int(a / FRAME) : int(b / FRAME)] = 1.0
        e[1 - k][int(a / FRAME) : int(b / FRAME)] += 1e-3  # the other channel's echo, 30 dB down
    return e


def _segment(words: list[tuple[str, float, float]]) -> SegmentText:
    ws = tuple(Word(start=a, end=b, text=t, prob=0.9) for t, a, b in words)
    return SegmentText(start=ws[0].start, end=ws[-1].end, text="".join(w.text for w in ws).strip(), words=ws)


def test_each_word_goes_to_the_louder_channel_and_a_segment_is_split_where_the_speaker_changes():
    # agent loud 0-2 s, customer 2.3-4 s (one recognised segment across both), both equal at 6-7 s
    e = _energies([(0, 0.0, 2.0), (1, 2.3, 4.0), (0, 6.0, 7.0), (1, 6.0, 7.0), (1, 8.0, 9.0)])
    mixed = Transcript(
        "en",
        10.0,
        "faster-whisper",
        "x",
        segments=[
            _segment(
                [
                    (" How", 0.2, 0.5),
                    (" can", 0.5, 0.8),
                    (" I", 0.8, 0.9),
                    (" help", 0.9, 1.5),
                    (" My", 2.4, 2.7),
                    (" card", 2.7, 3.2),
                    (" is", 3.2, 3.4),
                    (" lost", 3.4, 3.9),
                ]
            ),
            # undecided words: the first goes with the word after it, the last with the word before
            _segment([(" Yes", 6.2, 6.6), (" please", 8.1, 8.5), (" ok", 9.5, 9.7)]),
        ],  # fmt: skip
        confidences=[0.8, 0.7],
    )
    t = split_by_loudness(mixed, e, ("agent", "customer"), speech=[[(0.0, 2.0), (6.0, 7.0)], [(2.3, 4.0), (8.0, 9.0)]])
    assert [(s.text, sp) for s, sp in zip(t.segments, t.speakers, strict=True)] == [
        ("How can I help", "agent"),
        ("My card is lost", "customer"),
        ("Yes please ok", "customer"),
    ]
    assert (t.segments[0].start, t.segments[0].end, t.segments[1].start, t.segments[1].end) == (0.2, 1.5, 2.4, 3.9)
    assert t.confidences == [pytest.approx(0.9), pytest.approx(0.9), 0.7]  # split: its words'; whole: kept
    assert [sp for sp, _p in t.parts] == ["agent", "customer"] and t.parts[1][1].speech == [(2.3, 4.0), (8.0, 9.0)]
    assert t.speech == [(0.0, 2.0), (2.3, 4.0), (6.0, 7.0), (8.0, 9.0)]
    # the other wiring: the first channel is the customer's
    swapped = split_by_loudness(mixed, e, ("customer", "agent"))
    assert swapped.speakers == ["customer", "agent", "agent"]


def test_a_word_neither_channel_clearly_owns_is_undecided():
    e = _energies([(0, 0.0, 1.0), (1, 1.0, 2.0)])
    assert louder_channel(e, 0.2, 0.6, margin_db=3.0) == 0
    assert louder_channel(e, 1.2, 1.6, margin_db=3.0) == 1
    assert louder_channel(e, 0.9, 1.1, margin_db=3.0) is None  # half in each
    assert louder_channel(e, 0.5, 0.5, margin_db=3.0) == 0  # a zero-length word: its surroundings
    assert louder_channel(e, 20.0, 21.0, margin_db=3.0) is None  # past the end: nothing there


# --- a generated conversation: quick turns, line echo, noise ---------------------------------

AGENT_1 = "Thank you for calling the bank. How can I help you today?"
CUSTOMER_1 = "I lost my credit card yesterday evening."
AGENT_2 = "I am sorry to hear that. Let me block the card for you now."
CUSTOMER_2 = "That is wonderful, goodbye."
GAP_S = 0.4  # each turn starts this soon after the last one ended


def _speech_only(path: Path) -> np.ndarray:
    x, _rate = read_wav(path)
    loud = np.flatnonzero(np.abs(x) > 0.02 * np.abs(x).max())
    return x[loud[0] : loud[-1] + 1]


@pytest.fixture(scope="module")
def conversation(tmp_path_factory) -> tuple[Path, list[tuple[str, float, float]]]:
    """An 8 kHz stereo call, agent on the first channel: four turns close together, each channel
    carrying the other 30 dB down (line echo) and faint noise. Returns the file and the truth turns."""
    if not af.tools_available():
        pytest.skip("espeak-ng/sox/ffmpeg not installed")
    tmp = tmp_path_factory.mktemp("downmix")
    rate = 8000
    turns, pieces, at = [], [], int(0.5 * rate)
    for k, (speaker, text) in enumerate(
        [("agent", AGENT_1), ("customer", CUSTOMER_1), ("agent", AGENT_2), ("customer", CUSTOMER_2)]
    ):
        x = _speech_only(tts(tmp / f"t{k}.wav", text, speed=150 if speaker == "agent" else 135))
        pieces.append((speaker, at, x))
        turns.append((speaker, at / rate, (at + len(x)) / rate))
        at += len(x) + int(GAP_S * rate)
    n = at + rate
    chans = {"agent": np.zeros(n), "customer": np.zeros(n)}
    for speaker, start, x in pieces:
        chans[speaker][start : start + len(x)] += x
    rng = np.random.default_rng(7)
    echo = int(0.03 * rate)
    left = chans["agent"] + 10 ** (-30 / 20) * np.roll(chans["customer"], echo) + rng.normal(0, 30, n)
    right = chans["customer"] + 10 ** (-30 / 20) * np.roll(chans["agent"], echo) + rng.normal(0, 30, n)
    path = tmp / "conversation.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.clip(np.stack([left, right], axis=1), -32768, 32767).astype("<i2").tobytes())
    return path, turns


def _truth_speaker(turns, t: float) -> str | None:
    inside = {sp for sp, a, b in turns if a - 0.15 <= t <= b + 0.15}
    return inside.pop() if len(inside) == 1 else None


def test_one_pass_over_the_mix_labels_each_speakers_words(conversation, tmp_path):
    path, turns = conversation
    decoded = audio.decode_call(path, tmp_path, timeout_s=60)
    assert decoded.stereo and decoded.mono.is_file()  # the mix is kept for the one pass
    t = transcribe_call_audio(
        decoded,
        language="en",
        speakers=("agent", "customer"),
        mode="downmix",
        engine_name="faster-whisper",
        model_spec="pkg:tiny.en",
        cache_dir=MODEL_CACHE,
    )
    assert t.stereo and set(t.speakers) == {"agent", "customer"}
    right = wrong = 0
    for seg, speaker in zip(t.segments, t.speakers, strict=True):
        for w in seg.words:
            truth = _truth_speaker(turns, (w.start + w.end) / 2)
            if truth is not None:
                right += truth == speaker
                wrong += truth != speaker
    assert right >= 25 and wrong <= 0.05 * (right + wrong), (right, wrong)
    said = {sp: " ".join(s.text for s, x in zip(t.segments, t.speakers, strict=True) if x == sp).lower() for sp in
            ("agent", "customer")}  # fmt: skip
    assert "calling" in said["agent"] and "sorry" in said["agent"]
    assert "lost" in said["customer"] and "wonderful" in said["customer"]
    assert "calling" not in said["customer"] and "lost" not in said["agent"]
    # each speaker's own voice activity comes from their channel: the agent's ends before the customer's turn
    agent_speech = dict(t.parts)["agent"].speech
    c1 = turns[1]
    assert not any(a > c1[1] + 0.3 and b < c1[2] - 0.3 for a, b in agent_speech)


@pytest.fixture
def bj_case(org_tree):
    return ComplaintFactory(responsible_org=org_tree.bj)


@pytest.mark.django_db(transaction=True)
def test_the_job_in_downmix_mode_stores_labelled_segments_and_the_audio_facts_for_call_qa(
    people, bj_case, conversation, settings
):
    """The job recognises the mix once, labels the speakers, and measures the call's audio while it
    has it decoded: call QA scores from those stored facts even when the upload is gone."""
    from callqa import services as qa
    from callqa.models import CallAudioFacts
    from tests.callqa.conftest import ensure_default_rules

    ensure_default_rules()
    settings.RECORDING_STEREO_TRANSCRIPTION = "downmix"
    path, turns = conversation
    rec = recording_upload(
        uploaded_by=people.bj_handler, upload=upload_of(path), complaint=bj_case, language="en"
    ).recording
    assert recording_transcribe(recording_id=rec.pk) == S.DONE
    rec.refresh_from_db()
    assert rec.channel_layout == CallRecording.ChannelLayout.STEREO
    segs = list(rec.segments.order_by("index"))
    assert [s.speaker for s in segs][0] == "agent" and {s.speaker for s in segs} == {"agent", "customer"}
    agent_text = " ".join(s.text_original for s in segs if s.speaker == "agent").lower()
    assert "calling" in agent_text and "lost" not in agent_text

    stored = CallAudioFacts.objects.get(recording=rec)
    facts = stored.facts
    assert facts["stereo"] is True and facts["overtalk_known"] is True
    first_customer = min(a for a, _b in facts["speech"]["customer"])
    assert abs(first_customer - turns[1][1]) < 0.3  # measured on the customer's own channel
    Path(rec.file.path).unlink()  # scoring must not need the upload any more
    score = qa.recording_score(recording_id=rec.pk)
    assert "facts:stored" in score.notes and score.speakers_known


def test_a_failing_audio_receiver_is_logged_and_does_not_fail_the_job(caplog):
    from recordings.signals import recording_decoded, send_decoded

    def broken(sender, **kwargs):
        raise RuntimeError("measurement broke")

    recording_decoded.connect(broken, dispatch_uid="test-broken-receiver")
    try:
        with caplog.at_level(logging.ERROR, logger="recordings.signals"):
            send_decoded(12345, decoded=None, speakers=("agent", "customer"))
    finally:
        recording_decoded.disconnect(dispatch_uid="test-broken-receiver")
    assert "measuring the audio of recording 12345 failed" in caplog.text and "measurement broke" in caplog.text
