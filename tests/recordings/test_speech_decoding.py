"""Decoding loops and the fail-closed "resume" (recordings.speech.decoding): pure post-processing,
segments in, segments (words marked ``near_loop``) out. No model, no audio."""

from __future__ import annotations

import math

import pytest

from recordings import pipeline
from recordings.speech import decoding, engines
from recordings.speech.decoding import Segment, Word, loop_stretches, mark_near_loops, postprocess, resume_after_loops


def words_at(t0: float, *texts: str, step: float = 0.4, prob: float = 0.9) -> list[Word]:
    return [Word(t0 + step * i, t0 + step * (i + 1), t, prob) for i, t in enumerate(texts)]


def seg_of(words: list[Word]) -> Segment:
    return Segment(words[0].start, words[-1].end, "".join(w.text for w in words), -0.3, 0.05, words)


def looping(t0: float, prefix: str, loop: list[str], times: int) -> Segment:
    """A segment whose text goes round in circles after ``prefix`` (0.2 s per token)."""
    tokens = list(prefix) + loop * times
    return seg_of([Word(t0 + 0.2 * i, t0 + 0.2 * (i + 1), t, 0.9) for i, t in enumerate(tokens)])


# c003-zh as the decoder saw it: a greeting, the cue, then "2-3" and a loop to the window's end
GREETING = seg_of(words_at(0.7, "你好", "我想", "投诉"))
CUE = seg_of(words_at(7.2, "我的", "卡号", "是"))  # "是" 8.0-8.4
LOOP = looping(8.6, "2-3", ["-", "4"], 60)  # "2-3" ends at 9.2; the loop runs to 8.6 + 0.2 * 123
RESUMED = seg_of(words_at(16.1, "年", "费", "太", "高", "了"))  # decoded again after the loop
AFTER = seg_of(words_at(LOOP.end + 0.1, "请", "回", "电"))
LATER = seg_of(words_at(LOOP.end + 3.0, "谢", "谢", "你"))


def marks(segments: list[Segment]) -> dict[str, bool]:
    return {w.text: w.near_loop for s in segments for w in s.words}


def test_a_loop_stretch_runs_from_where_the_loop_begins_to_the_end_of_its_window():
    assert decoding.compression_ratio(LOOP.text) > decoding.COMPRESSION_RATIO_DROP
    assert loop_stretches([GREETING, CUE, LOOP]) == [(pytest.approx(9.2), LOOP.end)]
    only_loop = looping(3.0, "", ["陛", "下"], 40)
    assert loop_stretches([only_loop]) == [(3.0, only_loop.end)]  # nothing kept: from its start


def test_resume_marks_every_word_in_or_near_the_looped_stretch_and_nothing_else():
    out = postprocess(
        [GREETING, CUE, LOOP, RESUMED, AFTER, LATER], language="zh", duration_s=60, loop_segments="resume"
    )
    assert [s.text for s in out] == ["你好我想投诉", "我的卡号是", "2-3", "年费太高了", "请回电", "谢谢你"]
    m = marks(out)
    # inside the stretch: what the resumed decode wrote (it may have restarted inside the digits)
    assert all(w.near_loop for w in out[3].words)
    # within the margin: the words just before the loop began and just after its window ended
    assert m["是"] and m["2"] and m["3"] and all(w.near_loop for w in out[4].words)
    # farther away: untouched
    assert not (m["你好"] or m["卡号"] or m["谢"] or m["你"])
    assert decoding.LOOP_NEAR_MARGIN_S == 1.0 and CUE.words[1].end < 9.2 - 1.0 < CUE.words[2].end


def test_drop_and_trim_mark_nothing():
    for mode in ("drop", "trim"):
        out = postprocess([GREETING, CUE, LOOP, RESUMED, AFTER], language="zh", duration_s=60, loop_segments=mode)
        assert not any(w.near_loop for s in out for w in s.words), mode


def test_marking_keeps_text_times_and_probabilities():
    words = words_at(10.0, " six", " two", prob=0.7) + words_at(20.0, " fine", prob=0.95)
    (out,) = mark_near_loops([seg_of(words)], [(10.2, 12.0)], margin_s=0.0)
    assert [(w.start, w.end, w.text, w.probability) for w in out.words] == [
        (w.start, w.end, w.text, w.probability) for w in words
    ]
    assert [w.near_loop for w in out.words] == [True, True, False]
    assert mark_near_loops([seg_of(words)], []) == [seg_of(words)]


REGIONS = [(0.7, 4.8), (7.2, 8.5), (8.6, 11.0), (11.3, 14.7), (16.1, 18.2), (31.0, 34.3)]


def test_resume_can_wait_for_a_pause_measured_between_voice_activity_regions():
    asked: list[list[tuple[float, float]]] = []

    def decode_spans(spans):
        asked.append(spans)
        return []

    end = math.ceil(LOOP.end * 100) / 100
    resume_after_loops([GREETING, CUE, LOOP], REGIONS, decode_spans)
    # by default at the first stretch after the loop began: 11.3, after a 0.3 s pause between digit groups
    assert asked == [[(11.3, end)]]
    asked.clear()
    resume_after_loops([GREETING, CUE, LOOP], REGIONS, decode_spans, min_pause_s=1.0)
    assert asked == [[(16.1, end)]]  # 1.4 s of silence before it
    asked.clear()
    out = resume_after_loops([GREETING, CUE, LOOP], REGIONS, decode_spans, min_pause_s=20.0)
    assert asked == [] and out == [GREETING, CUE, LOOP]  # no such pause: nothing decoded again


def test_the_resume_pause_is_a_checked_decoding_setting():
    assert engines.decode_options({})["loop_resume_pause_s"] == 0.0
    assert engines.decode_options({"loop_segments": "resume", "loop_resume_pause_s": 1})["loop_resume_pause_s"] == 1
    for bad in (-1, "1", True, 45):
        with pytest.raises(ValueError, match="loop_resume_pause_s"):
            engines.decode_options({"loop_resume_pause_s": bad})


def test_the_pipeline_keeps_the_near_loop_mark_for_de_identification(monkeypatch, tmp_path):
    near = Word(16.1, 16.5, "年", 0.9, near_loop=True)
    result = engines.TranscriptionResult(
        language="zh",
        duration_s=20.0,
        segments=[Segment(16.1, 16.9, "年费", -0.3, 0.05, [near, Word(16.5, 16.9, "费", 0.9)])],
        engine="faster-whisper",
        model="pkg:base",
        speech=[(16.1, 16.9)],
    )

    class Engine:
        def transcribe(self, path, language="auto", *, decode=None):
            return result

    monkeypatch.setattr(engines, "get_engine", lambda *a, **kw: Engine())
    t = pipeline.transcribe_audio(
        tmp_path / "x.wav", engine_name="faster-whisper", model_spec="pkg:base", cache_dir=tmp_path, language="zh"
    )
    assert [(w.text, w.near_loop) for w in t.segments[0].words] == [("年", True), ("费", False)]
