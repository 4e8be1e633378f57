"""The uncovered-speech recheck (recordings.deid_recheck): speech no transcript word covers is
decoded again on its own, and its words are taken only when they vouch for the whole stretch."""

from __future__ import annotations

from recordings.deid import plan_listening_copy
from recordings.deid_recheck import recheck_uncovered
from recordings.redaction import SegmentText, Word

PAD = 0.3


def seg(*words, start: float = 0.0, step: float = 0.5, prob: float = 0.9) -> SegmentText:
    out, t = [], start
    for w in words:
        text, p = w if isinstance(w, tuple) else (w, prob)
        out.append(Word(t, t + 0.4, text, p))
        t += step
    return SegmentText(out[0].start, out[-1].end, "".join(w.text for w in out), tuple(out))


# the transcript covers 0-2.4 s; VAD hears speech until 6.0 s: 2.4-6.0 s has no words
HEARD = seg(" The", " branch", " was", " closed", " again", ".")
SPEECH = [(0.0, 6.0)]


def decoder(*words, start: float = 3.2, step: float = 0.4, prob: float = 0.9):
    """A stand-in for the engine: the words it hears in the stretch (absolute times), and the
    crops it was asked for."""
    asked = []
    heard = seg(*words, start=start, step=step, prob=prob).words if words else ()

    def decode(a: float, b: float) -> list[Word]:
        asked.append((a, b))
        return [w for w in heard if a <= w.start and w.end <= b]

    decode.asked = asked
    return decode


def plan(segments):
    return plan_listening_copy(segments, speech=SPEECH, language="en", duration_s=8.0, pad_s=PAD)


def muted(p, t0: float, t1: float) -> bool:
    return any(a < t1 and t0 < b for a, b, _r in p.mute)


def test_confident_plain_words_of_a_second_decoding_cover_the_stretch_and_it_is_kept():
    before = plan([HEARD])
    assert before.uncovered_s > 2.5 and muted(before, 3.2, 5.5)
    decode = decoder(" and", " nobody", " called", " me", " back", " after", ".")
    res = recheck_uncovered([HEARD], SPEECH, decode, duration_s=8.0)
    assert decode.asked and decode.asked[0][0] <= 3.0 and decode.asked[0][1] >= 6.0
    assert [t for _a, _b, t in res.accepted] == ["and nobody called me back after."]
    after = plan(res.segments)
    assert after.uncovered_s < 0.5 and not muted(after, 3.2, 5.5)
    assert "nobody called me back" in " ".join(s.redacted for s in after.segments)


def test_a_number_like_word_in_the_second_decoding_keeps_the_whole_stretch_muted():
    for odd in (" six", " Nero", " 42", " for"):
        decode = decoder(" and", " nobody", " called", odd, " back", " after")
        res = recheck_uncovered([HEARD], SPEECH, decode, duration_s=8.0)
        assert not res.accepted and "number-like" in res.rejected[0][2], odd
        after = plan(res.segments)
        assert after.uncovered_s > 2.5 and muted(after, 3.2, 5.5), odd


def test_a_doubtful_word_a_cue_or_a_loop_in_the_second_decoding_keeps_the_stretch_muted():
    cases = {
        "doubtful": decoder(" and", " nobody", (" called", 0.5), " me", " back"),
        "cue": decoder(" and", " my", " card", " was", " blocked"),
        "loop": decoder(" no", " thanks", " no", " thanks", " no", " thanks"),
        "nothing": decoder(),
    }
    for name, decode in cases.items():
        res = recheck_uncovered([HEARD], SPEECH, decode, duration_s=8.0)
        assert not res.accepted and res.rejected, name
        assert plan(res.segments).uncovered_s > 2.5, name


def test_only_words_inside_the_stretch_are_taken_not_those_heard_in_the_margin():
    # the crop reaches 0.2 s into the words the transcript already has: what the decoder hears
    # there is not added (it would be the transcript's own words a second time)
    decode = decoder(" again", " and", " nobody", " called", start=2.9, step=0.9)
    res = recheck_uncovered([HEARD], SPEECH, decode, duration_s=8.0)
    added = [s for s in res.segments if s is not HEARD]
    assert [w.text for s in added for w in s.words] == [" and", " nobody", " called"]


def test_words_of_a_stretch_the_decoder_looped_over_are_marked_near_a_loop():
    looped = seg(" The", " branch", " was", " no", " wait", " no", " wait", " no", " wait", step=0.5)
    speech = [(0.0, 6.0)]
    decode = decoder(" we", " waited", " an", " hour", start=3.2, step=0.6)
    res = recheck_uncovered([looped], speech, decode, duration_s=8.0)
    assert res.accepted
    added = [s for s in res.segments if s is not looped]
    assert added and all(w.near_loop for s in added for w in s.words)


def test_without_voice_activity_regions_nothing_is_decoded():
    decode = decoder(" and", " nobody")
    res = recheck_uncovered([HEARD], None, decode, duration_s=8.0)
    assert not decode.asked and res.segments == [HEARD]


def test_per_word_a_doubtful_word_is_left_out_but_a_number_like_word_still_rejects_the_stretch():
    # the screened variant (bench/results/redaction-2026-12-08-b.md): not the default
    decode = decoder(" and", " nobody", (" called", 0.3), " me", " back", " after")
    res = recheck_uncovered([HEARD], SPEECH, decode, duration_s=8.0, per_word=True)
    assert [t for _a, _b, t in res.accepted] == ["and nobody me back after"]
    assert not recheck_uncovered([HEARD], SPEECH, decode, duration_s=8.0).accepted  # the default rejects
    decode = decoder(" and", " nobody", (" called", 0.3), " six", " back")
    res = recheck_uncovered([HEARD], SPEECH, decode, duration_s=8.0, per_word=True)
    assert not res.accepted and "number-like" in res.rejected[0][2]
