"""Audio redaction: character spans -> word times -> a tone over exactly those times. No Django."""

from __future__ import annotations

import re
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from recordings.speech.audio import decode_to_wav16k, probe
from recordings.speech.engines import Word, get_engine
from recordings.speech.redact_audio import (
    RedactionError,
    align_words,
    char_spans_to_time_spans,
    merge_time_spans,
    render_redacted,
    spans_to_mute,
)
from tests.recordings import audio_factory as af

needs_tools = pytest.mark.skipif(not af.tools_available(), reason="needs espeak-ng, sox, ffmpeg")


@dataclass
class Finding:  # the shape of complaints.pii.Finding
    kind: str
    start: int
    end: int
    text: str


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").copy(), w.getframerate()


def band_energy(x: np.ndarray, rate: int, hz: float, width: float = 50) -> float:
    """Share of the signal's energy within ``hz`` ± ``width``."""
    spectrum = np.abs(np.fft.rfft(x.astype(np.float64) * np.hanning(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / rate)
    total = spectrum.sum()
    return float(spectrum[(freqs > hz - width) & (freqs < hz + width)].sum() / total) if total else 0.0


# --------------------------------------------------------------------------- text -> time

EN_WORDS = [
    Word(0.0, 0.4, " My", 0.9),
    Word(0.4, 0.8, " card", 0.9),
    Word(0.8, 1.1, " is", 0.9),
    Word(1.2, 2.9, " 6222021234567890.", 0.8),
    Word(3.0, 3.4, " Thanks.", 0.9),
]
EN_TEXT = "My card is 6222021234567890. Thanks."

ZH_WORDS = [
    Word(0.0, 0.3, "卡", 0.9),
    Word(0.3, 0.6, "号", 0.9),
    Word(0.6, 1.0, "是", 0.9),
    Word(1.0, 1.5, "6222", 0.9),
    Word(1.5, 2.0, "0212", 0.9),
    Word(2.0, 2.4, "。", 0.9),
]
ZH_TEXT = "卡号是62220212。"


def test_words_are_located_in_the_transcript():
    assert align_words(EN_WORDS, EN_TEXT) == [(0, 2), (3, 7), (8, 10), (11, 28), (29, 36)]
    # segments joined with a space (TranscriptionResult.text): the joiner is skipped
    two = [Word(0, 1, "银行", 0.9), Word(5, 6, "服务", 0.9)]
    assert align_words(two, "银行 服务") == [(0, 2), (3, 5)]


def test_a_digit_span_maps_to_the_times_of_the_words_it_touches():
    start = EN_TEXT.index("6222")
    # only the digits (not the trailing full stop) are sensitive; the whole word is muted
    assert char_spans_to_time_spans(EN_WORDS, EN_TEXT, [(start, start + 16)]) == [(1.2, 2.9)]
    # a span inside one Chinese "word" piece and across two of them
    s = ZH_TEXT.index("6222")
    assert char_spans_to_time_spans(ZH_WORDS, ZH_TEXT, [(s + 1, s + 3), (s, s + 8)]) == [(1.0, 1.5), (1.0, 2.0)]
    # findings objects with .start/.end work as spans
    finding = Finding("card", s, s + 8, "62220212")
    assert char_spans_to_time_spans(ZH_WORDS, ZH_TEXT, [finding]) == [(1.0, 2.0)]


def test_spans_are_padded_merged_and_clamped():
    assert merge_time_spans([(1.0, 2.0), (2.4, 3.0), (9.9, 10.5)], duration_s=10.0, pad_s=0.3) == [
        (0.7, 3.3),
        (9.6, 10.0),
    ]
    assert merge_time_spans([(0.1, 0.2)], duration_s=5, pad_s=0.3) == [(0.0, 0.5)]
    assert merge_time_spans([(3.0, 4.0), (1.0, 2.0)], duration_s=5) == [(1.0, 2.0), (3.0, 4.0)]  # sorted
    assert merge_time_spans([(6.0, 7.0)], duration_s=5) == []  # beyond the end


def test_spans_to_mute_combines_mapping_padding_and_merging():
    s = ZH_TEXT.index("6222")
    findings = [Finding("card", s, s + 4, "6222"), Finding("card", s + 4, s + 8, "0212")]
    assert spans_to_mute(ZH_WORDS, findings, text=ZH_TEXT, duration_s=2.1, pad_s=0.3) == [(0.7, 2.1)]
    assert spans_to_mute(ZH_WORDS, [], text=ZH_TEXT, duration_s=2.1) == []


def test_mapping_fails_closed():
    with pytest.raises(RedactionError, match="does not match"):
        align_words(EN_WORDS, "My card is something else entirely")
    with pytest.raises(RedactionError, match="outside"):
        char_spans_to_time_spans(EN_WORDS, EN_TEXT, [(30, 99)])
    # a segment whose words are missing: its text cannot be placed in time
    text = "卡号是 62220212"
    with pytest.raises(RedactionError, match="No word timestamps"):
        char_spans_to_time_spans(ZH_WORDS[:3], text, [(4, 12)])


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
    result = get_engine("faster-whisper", model_spec="pkg:tiny.en", cache_dir=af.model_cache_dir()).transcribe(
        wav, "en"
    )
    # stand-in for complaints.pii.find_sensitive: a run of spoken digits
    match = re.search(rf"{DIGIT_WORD}(?:[\s,.-]+{DIGIT_WORD})*", result.text, re.IGNORECASE)
    assert match, result.text
    spans = spans_to_mute(result.words, [match.span()], text=result.text, duration_s=result.duration_s, pad_s=0.3)
    assert len(spans) == 1
    start, end = spans[0]
    # the tone covers the spoken digits and little else
    assert digits_from - 0.5 <= start <= digits_from + 0.5, (spans, result.words)
    assert digits_to - 0.6 <= end <= digits_to + 0.5, (spans, result.words)

    out = render_redacted(wav, tmp_path / "call-redacted.wav", spans)
    before, rate = read_wav(wav)
    after, _ = read_wav(out)
    a, b = int(np.floor(start * rate)), int(np.ceil(end * rate))
    assert band_energy(after[a:b], rate, 1000) > 0.95
    np.testing.assert_array_equal(after[:a], before[:a])
    np.testing.assert_array_equal(after[b:], before[b:])
