"""Voice activity detection runs once per file (issue 16, throughput): the decoding clips and the
de-identification regions are read from one Silero pass, and they are the lists two passes gave."""

from __future__ import annotations

import pytest

from recordings.speech import engines
from recordings.speech.decoding import decode_options
from tests.recordings import audio_factory as af


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    if not af.tools_available():
        pytest.skip("needs espeak-ng, sox, ffmpeg")
    from faster_whisper import decode_audio

    d = tmp_path_factory.mktemp("vad-once")
    en = af.telephone(af.english(d / "en-raw.wav"), d / "en.wav")
    late = af.telephone(af.silence_then_speech(d / "late-raw.wav", en, seconds=6), d / "late.wav")
    both = af.concat(d / "both.wav", late, af.silence(d / "gap.wav", 8), en)
    return decode_audio(str(both), sampling_rate=engines.SAMPLE_RATE)


@pytest.fixture
def model_runs(monkeypatch):
    """How many times the Silero model is run (each run is the whole cost of a VAD call)."""
    from faster_whisper import vad

    real = vad.get_vad_model()
    runs = []

    def counting(padded):
        runs.append(len(padded))
        return real(padded)

    monkeypatch.setattr(vad, "get_vad_model", lambda: counting)
    return runs


def test_clips_and_regions_come_from_one_vad_run_and_equal_two_separate_runs(speech, model_runs):
    opts = decode_options(None)
    clips = engines.speech_clips(
        speech,
        merge_gap_s=opts["clip_merge_gap_s"],
        threshold=opts["vad_threshold"],
        min_silence_ms=opts["vad_min_silence_ms"],
        speech_pad_ms=opts["vad_speech_pad_ms"],
    )
    regions = engines.speech_regions(speech)
    assert len(model_runs) == 2
    assert len(clips) >= 2 and len(regions) >= len(clips)  # two sentences, a pause between
    model_runs.clear()
    assert engines.clips_and_regions(speech, opts) == (clips, regions)
    assert len(model_runs) == 1


@pytest.mark.parametrize("short_by", [0, 12, 500])
def test_each_option_set_gets_what_its_own_run_gives(speech, short_by):
    """Whatever the padding to whole 32 ms windows (Silero writes into the last window's context,
    so a second look at the same audio must not see a changed copy)."""
    import numpy as np
    from faster_whisper.vad import VadOptions

    n = (len(speech) // 512) * 512 - short_by
    audio = (speech[:n] + np.random.default_rng(1).normal(0, 1e-3, n)).astype(np.float32)
    first, second = VadOptions(), VadOptions(threshold=0.6, min_silence_duration_ms=300, speech_pad_ms=60)
    a, b = engines.speech_timestamps(audio, first, second)
    assert a and b and a != b
    assert a == engines.speech_timestamps(audio, first)[0]
    assert b == engines.speech_timestamps(audio, second)[0]
