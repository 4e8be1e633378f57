"""Planning the redaction of a transcript: masked text and the audio spans to mute."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from recordings.redaction import SegmentText, Word, merge_spans, plan_redaction


def words_for(text: str, start: float, step: float = 0.5) -> tuple[Word, ...]:
    """Split like Whisper does in English: each word carries its leading space."""
    out, t = [], start
    for i, token in enumerate(text.split(" ")):
        out.append(Word(t, t + step, (" " if i else "") + token))
        t += step
    return tuple(out)


def seg(text: str, start: float, with_words: bool = True) -> SegmentText:
    words = words_for(text, start) if with_words else ()
    return SegmentText(start, start + 0.5 * len(text.split(" ")), text, words)


def test_card_number_is_masked_and_mapped_to_its_words_time():
    s = seg("my card number is 6222 0212 3456 7890 thanks", 10.0)
    plan = plan_redaction([s], language="en", pad_s=0.3)
    assert plan.confident
    assert "6222" not in plan.segments[0].redacted and "7890" not in plan.segments[0].redacted
    assert "[card number removed]" in plan.segments[0].redacted
    # words: my(10) card(10.5) number(11) is(11.5) 6222(12) 0212(12.5) 3456(13) 7890(13.5-14) thanks(14)
    assert plan.mute == [(12.0 - 0.3, 14.0 + 0.3)]


def test_number_split_across_two_segments_is_found_in_both():
    first = seg("card 6222 0212", 0.0)
    second = seg("3456 7890 ok", 5.0)
    plan = plan_redaction([first, second], language="en", pad_s=0.0)
    assert "6222" not in plan.segments[0].redacted
    assert "3456" not in plan.segments[1].redacted and "7890" not in plan.segments[1].redacted
    assert plan.segments[1].redacted.endswith("ok")
    assert len(plan.mute) == 2


def test_chinese_spoken_digits_and_cvv_cue():
    text = "我的手机是一三八一二三四五六七八，安全码是一二三"
    words = tuple(Word(i * 0.2, i * 0.2 + 0.2, ch) for i, ch in enumerate(text))
    plan = plan_redaction([SegmentText(0.0, len(text) * 0.2, text, words)], language="zh", pad_s=0.0)
    red = plan.segments[0].redacted
    assert "一三八" not in red and "一二三" not in red
    assert "[手机号已隐去]" in red and "[安全码已隐去]" in red
    assert len(plan.mute) == 2


def test_finding_without_word_times_is_not_confident():
    plan = plan_redaction([seg("card 6222 0212 3456 7890", 0.0, with_words=False)], language="en")
    assert not plan.confident
    assert plan.problems and "without word times" in plan.problems[0]
    assert "6222" not in plan.segments[0].redacted  # the text is still masked
    assert plan.mute == []


def test_no_findings_means_nothing_to_mute_and_text_unchanged():
    plan = plan_redaction([seg("I am unhappy with the annual fee", 0.0, with_words=False)], language="en")
    assert plan.confident and plan.findings == 0 and plan.mute == []
    assert plan.segments[0].redacted == "I am unhappy with the annual fee"


@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 5)), max_size=20), st.floats(0, 1))
def test_merged_spans_are_sorted_disjoint_and_cover_every_input(raw, pad):
    spans = [(a, a + d) for a, d in raw]
    merged = merge_spans(spans, pad_s=pad)
    assert all(a < b or a == b for a, b in merged)
    assert all(merged[i][1] < merged[i + 1][0] for i in range(len(merged) - 1))
    for a, b in spans:
        assert any(m0 <= max(0.0, a - pad) + 1e-9 and b + pad <= m1 + 1e-9 for m0, m1 in merged)


def test_digits_spelled_out_in_english_are_masked_too():
    text = (
        "My card number is six, two, two, two, zero, two, one, two, three, four, five, six, seven, eight, nine, zero."
    )
    plan = plan_redaction([seg(text, 0.0)], language="en", pad_s=0.0)
    red = plan.segments[0].redacted
    assert "six" not in red and "nine" not in red and "[card number removed]" in red
    assert red.startswith("My card number is ") and plan.confident and len(plan.mute) == 1


def test_a_lone_number_word_is_left_alone():
    plan = plan_redaction([seg("I called two times about one fee", 0.0)], language="en")
    assert plan.segments[0].redacted == "I called two times about one fee" and plan.findings == 0
