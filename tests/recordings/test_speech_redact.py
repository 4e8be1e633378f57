"""Audio redaction: a tone over exactly the planned times, on synthetic and real transcriptions."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import numpy as np
import pytest

from recordings.deid import plan_listening_copy
from recordings.pipeline import transcribe_audio
from recordings.speech.audio import decode_to_wav16k, probe
from recordings.speech.redact_audio import RedactionError, render_redacted
from tests.recordings import audio_factory as af

needs_tools = pytest.mark.skipif(not af.tools_available(), reason="needs espeak-ng, sox, ffmpeg")


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").copy(), w.getframerate()


def band_energy(x: np.ndarray, rate: int, hz: float, width: float = 50) -> float:
    """Share of the signal's energy within ``hz`` ± ``width``."""
    spectrum = np.abs(np.fft.rfft(x.astype(np.float64) * np.hanning(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / rate)
    total = spectrum.sum()
    return float(spectrum[(freqs > hz - width) & (freqs < hz + width)].sum() / total) if total else 0.0


# --------------------------------------------------------------------------- rendering


@pytest.fixture(scope="module")
def speech16k(tmp_path_factory) -> Path:
    if not af.tools_available():
        pytest.skip("needs espeak-ng, sox, ffmpeg")
    d = tmp_path_factory.mktemp("speech-redact")
    return decode_to_wav16k(af.english(d / "en.wav"), d / "en16k.wav", timeout_s=30)


@needs_tools
def test_tone_replaces_exactly_the_span_and_nothing_else(speech16k, tmp_path):
    out = render_redacted(speech16k, tmp_path / "redacted.wav", [(1.0, 1.6), (3.25, 3.5)], tone_hz=1000)
    before, rate = read_wav(speech16k)
    after, rate_out = read_wav(out)
    assert rate_out == rate == 16000 and len(after) == len(before)

    mask = np.zeros(len(before), dtype=bool)
    for a, b in [(16000, 25600), (52000, 56000)]:
        mask[a:b] = True
        t = np.arange(b - a) / rate
        expected = np.round(0.25 * 32767 * np.sin(2 * np.pi * 1000 * t)).astype("<i2")
        np.testing.assert_array_equal(after[a:b], expected)
        assert band_energy(after[a:b], rate, 1000) > 0.95
    np.testing.assert_array_equal(after[~mask], before[~mask])  # untouched elsewhere
    assert band_energy(before[16000:25600], rate, 1000) < 0.2  # it was speech before


@needs_tools
def test_no_spans_gives_an_identical_copy(speech16k, tmp_path):
    out = render_redacted(speech16k, tmp_path / "copy.wav", [])
    np.testing.assert_array_equal(read_wav(out)[0], read_wav(speech16k)[0])


@needs_tools
def test_mp3_output_for_browsers_still_carries_the_tone(speech16k, tmp_path):
    out = render_redacted(speech16k, tmp_path / "redacted.mp3", [(1.0, 2.0)])
    assert out.read_bytes()[:3] == b"ID3" or out.read_bytes()[0] == 0xFF
    back = decode_to_wav16k(out, tmp_path / "back.wav", timeout_s=30)
    samples, rate = read_wav(back)
    # allow the encoder's delay: look at the middle of the span
    assert band_energy(samples[int(1.2 * rate) : int(1.8 * rate)], rate, 1000) > 0.9
    assert band_energy(samples[int(2.3 * rate) : int(2.9 * rate)], rate, 1000) < 0.2


@needs_tools
def test_rendering_fails_closed(speech16k, tmp_path):
    notes = af.text_named_wav(tmp_path / "notes.wav")
    with pytest.raises(RedactionError):
        render_redacted(notes, tmp_path / "out.wav", [(0.0, 1.0)])
    with pytest.raises(RedactionError, match="Unsupported output"):
        render_redacted(speech16k, tmp_path / "out.aiff", [(0.0, 1.0)])
    with pytest.raises(RedactionError, match="Invalid time span"):
        render_redacted(speech16k, tmp_path / "out.wav", [(2.0, 1.0)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.wav"]  # nothing playable left behind


# --------------------------------------------------------------------------- end to end

DIGIT_WORD = r"(?:zero|one|two|three|four|five|six|seven|eight|nine|\d+)"


@pytest.mark.slow
@needs_tools
def test_spoken_number_is_toned_out_of_a_real_transcription(tmp_path):
    # Built from three utterances so we know where the digits really are in the audio.
    parts = [
        af.english(tmp_path / "a.wav", "My card number is"),
        af.english(tmp_path / "b.wav", "four five six seven"),
        af.english(tmp_path / "c.wav", "Thank you very much."),
    ]
    digits_from = probe(parts[0]).duration_s
    digits_to = digits_from + probe(parts[1]).duration_s
    call = af.concat(tmp_path / "call.wav", *parts)
    wav = decode_to_wav16k(call, tmp_path / "call16k.wav", timeout_s=30)
    t = transcribe_audio(
        wav, engine_name="faster-whisper", model_spec="pkg:tiny.en", cache_dir=af.model_cache_dir(), language="en"
    )
    assert re.search(rf"{DIGIT_WORD}", " ".join(s.text for s in t.segments), re.IGNORECASE)
    plan = plan_listening_copy(t.segments, speech=t.speech, language="en", duration_s=t.duration_s, pad_s=0.3)
    spans = plan.mute_times
    assert len(spans) == 1, plan.mute
    start, end = spans[0]
    # the tone covers the spoken digits (from the cue "number" on) and not the thanks after them
    assert digits_from - 1.0 <= start <= digits_from + 0.2, (plan.mute, t.segments)
    assert digits_to - 0.2 <= end <= digits_to + 0.6, (plan.mute, t.segments)

    out = render_redacted(wav, tmp_path / "call-redacted.wav", spans)
    before, rate = read_wav(wav)
    after, _ = read_wav(out)
    a, b = int(np.floor(start * rate)), int(np.ceil(end * rate))
    assert band_energy(after[a:b], rate, 1000) > 0.95
    np.testing.assert_array_equal(after[:a], before[:a])
    np.testing.assert_array_equal(after[b:], before[b:])
