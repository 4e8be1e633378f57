"""callqa.audio on synthetic signals whose answers are known by construction (issue 16): harmonic
"voices" at a given pitch and level, placed at given times on each channel, over faint noise."""

from __future__ import annotations

import numpy as np
import pytest

from callqa.audio import audio_facts, energy_speech, yin_track

SR = 16000


def voice(seconds: float, *, f0: float = 150.0, level_db: float = -20.0) -> np.ndarray:
    """A vowel-like sound: 12 harmonics of ``f0`` with a 4 Hz syllable rhythm, at ``level_db`` RMS."""
    t = np.arange(int(seconds * SR)) / SR
    x = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 13))
    x = x * (0.65 + 0.35 * np.sin(2 * np.pi * 4 * t))
    return x / np.sqrt(np.mean(x**2)) * 10 ** (level_db / 20)


def channel(total_s: float, parts: list[tuple[float, np.ndarray]], *, seed: int = 0, noise_db: float = -55.0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(int(total_s * SR)) * 10 ** (noise_db / 20)
    for start, sound in parts:
        a = int(start * SR)
        x[a : a + len(sound)] += sound[: len(x) - a]
    return x


def spans(intervals) -> list[tuple[float, float]]:
    return [(round(i.start, 1), round(i.end, 1)) for i in intervals]


def test_energy_vad_finds_each_stretch_and_not_the_other_partys_echo():
    agent_voice = voice(3.0)
    agent = channel(12, [(1.0, agent_voice), (7.0, voice(2.0))])
    # the customer's channel carries the agent's voice 30 dB down (echo) and the customer at 4-6 s
    customer = channel(12, [(1.0, agent_voice * 10 ** (-30 / 20)), (4.0, voice(2.0, f0=210))], seed=1)
    got_agent = energy_speech(agent, SR)
    got_customer = energy_speech(customer, SR)
    assert spans(got_agent) == [(1.0, 4.0), (7.0, 9.0)]
    assert spans(got_customer) == [(4.0, 6.0)]


def test_a_loud_echo_of_the_other_channel_is_not_speech_on_a_stereo_call():
    agent_voice = voice(3.0, level_db=-14)
    agent = channel(12, [(1.0, agent_voice), (7.0, voice(2.0, level_db=-14))])
    # a poor line: the agent's voice only 18 dB down on the customer's channel; the customer at 5-7 s
    customer = channel(12, [(1.0, agent_voice * 10 ** (-18 / 20)), (5.0, voice(2.0, f0=210, level_db=-26))], seed=1)
    assert spans(energy_speech(customer, SR))[0] == (1.0, 4.0)  # one channel alone takes the echo for speech
    f = audio_facts([agent, customer], SR)
    assert spans(f.speech["customer"]) == [(5.0, 7.0)] and f.overtalk == ()
    assert spans(f.speech["agent"]) == [(1.0, 4.0), (7.0, 9.0)]


def test_silence_overtalk_and_interruption_are_measured_where_they_were_planted():
    agent = channel(30, [(1.0, voice(4.0)), (18.0, voice(5.0))])  # 1-5 s, 18-23 s
    customer = channel(30, [(4.0, voice(3.0, f0=210)), (23.5, voice(2.0, f0=210))], seed=1)  # 4-7, 23.5-25.5
    f = audio_facts([agent, customer], SR)
    assert f.stereo and f.overtalk_known
    assert spans(f.overtalk) == [(4.0, 5.0)]
    assert spans(f.silences) == [(7.0, 18.0)]  # nobody between 7 and 18 s; not before 1 s or after 25.5 s
    inter = [c for c in f.cues if c.kind == "interruption"]
    assert len(inter) == 1 and inter[0].start == pytest.approx(4.0, abs=0.05)
    assert inter[0].value == pytest.approx(1.0, abs=0.1)  # both talked for a second
    # the customer's reply at 23.5 s follows the agent, it does not interrupt
    assert f.talk_seconds("agent") == pytest.approx(9.0, abs=0.15)
    assert f.talk_seconds("customer") == pytest.approx(5.0, abs=0.15)


def test_a_louder_turn_is_a_loudness_rise_against_the_callers_own_start_and_a_slightly_louder_one_is_not():
    agent = channel(60, [(0.5, voice(2.0))])
    customer = channel(
        60,
        [
            (3.0, voice(5.0, f0=200, level_db=-26)),
            (10.0, voice(5.0, f0=200, level_db=-26)),
            (25.0, voice(4.0, f0=200, level_db=-24)),  # +2 dB: not a rise
            (40.0, voice(4.0, f0=200, level_db=-16)),  # +10 dB
        ],
        seed=2,
    )
    f = audio_facts([agent, customer], SR)
    loud = [c for c in f.cues if c.kind == "loudness_rise"]
    assert len(loud) == 1 and loud[0].start == pytest.approx(40.0, abs=0.1)
    assert loud[0].value == pytest.approx(10.0, abs=1.0) and loud[0].speaker == "customer"
    assert not [c for c in f.cues if c.kind == "pitch_rise"]  # same pitch throughout


def test_a_higher_turn_is_a_pitch_rise_in_semitones():
    base, high = 180.0, 180.0 * 2 ** (5 / 12)  # five semitones up
    customer = channel(40, [(2.0, voice(6.0, f0=base)), (12.0, voice(4.0, f0=base)), (30.0, voice(4.0, f0=high))])
    agent = channel(40, [(0.2, voice(1.5))], seed=3)
    f = audio_facts([agent, customer], SR)
    pitch = [c for c in f.cues if c.kind == "pitch_rise"]
    assert len(pitch) == 1 and pitch[0].start == pytest.approx(30.0, abs=0.1)
    assert pitch[0].value == pytest.approx(5.0, abs=0.5)
    assert not [c for c in f.cues if c.kind == "loudness_rise"]


@pytest.mark.parametrize("f0", [90.0, 150.0, 240.0, 330.0])
def test_yin_tracks_the_fundamental(f0):
    track = yin_track(voice(1.0, f0=f0), SR)
    assert np.nanmedian(track) == pytest.approx(f0, rel=0.02)
    assert np.mean(np.isfinite(track)) > 0.9
    noise = yin_track(np.random.default_rng(0).standard_normal(SR) * 0.1, SR)
    assert np.mean(np.isfinite(noise)) < 0.2  # noise has no period


def test_a_mono_call_has_one_unknown_speaker_and_no_overtalk_or_cues():
    x = channel(20, [(1.0, voice(3.0)), (3.5, voice(3.0, f0=220)), (12.0, voice(2.0, level_db=-10))])
    f = audio_facts([x], SR)
    assert not f.stereo and not f.overtalk_known and f.overtalk == () and f.cues == ()
    assert list(f.speech) == ["unknown"] and spans(f.silences) == [(6.5, 12.0)]


def test_given_voice_activity_regions_are_used_instead_of_the_energy_detector():
    agent = channel(10, [(1.0, voice(2.0))])
    customer = channel(10, [(2.5, voice(2.0, f0=210))], seed=1)
    f = audio_facts([agent, customer], SR, speech={"agent": [(1.1, 2.9)]})
    assert spans(f.speech["agent"]) == [(1.1, 2.9)] and spans(f.speech["customer"]) == [(2.5, 4.5)]
    assert spans(f.overtalk) == [(2.5, 2.9)]


def test_bad_input_is_refused_with_a_clear_message():
    x = channel(2, [])
    with pytest.raises(ValueError, match="NaN"):
        audio_facts([x, np.full(10, np.nan)], SR)
    with pytest.raises(ValueError, match="agent and customer"):
        audio_facts([x, x], SR, speakers=("agent", "agent"))
    with pytest.raises(ValueError, match="one or two channels"):
        audio_facts([x, x, x], SR)
    silent = audio_facts([np.zeros(SR * 3), np.zeros(SR * 3)], SR)
    assert silent.speech == {"agent": (), "customer": ()} and silent.silences == () and silent.cues == ()


def test_pitch_is_computed_only_on_the_frames_asked_for_and_equals_the_full_track_there():
    x = np.concatenate([voice(1.0, f0=150.0), np.zeros(SR), voice(1.0, f0=240.0)])
    full = yin_track(x, SR)
    frames = np.arange(0, len(full), 3)[: len(full) // 6]  # every 3rd frame of the first half
    part = yin_track(x, SR, frames=frames)
    assert len(part) == len(full)
    np.testing.assert_array_equal(part[frames], full[frames])
    others = np.setdiff1d(np.arange(len(full)), frames)
    assert np.all(np.isnan(part[others]))  # never computed
