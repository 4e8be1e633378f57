"""Cue windows fail closed (issue 10, recordings/deid_cues.py): the words that end a window
after a cue must be real content words, not garbled tokens, restatements ("I repeat", 就是),
single letters or garbled tokens ("-I,")."""

from __future__ import annotations

from tests.recordings.test_deid import PAD, muted, plan, seg, touched, word_times


def test_lower_case_cvv_with_garbled_digits_and_i_repeat_stays_muted_to_the_next_real_sentence():
    # call c022-en as the recogniser might write it in lower case: "three oh nine" came back as
    # "-3O -I," and the number said again after "I repeat," as a doubtful "I'm the"
    s = seg(" The", " cvv", (" -3O", 0.33), (" -I,", 0.56), " I", " repeat,", (" I'm", 0.42), " the",
            start=0.0)  # fmt: skip
    rest = seg(" the", " cash", " machine", " kept", " my", " card", " and", " nobody", " can", " explain",
               start=5.0)  # fmt: skip
    p = plan(s, rest)
    cue_end = word_times(s, "cvv")[1]
    assert muted(p, cue_end, word_times(s, "I'm")[1])  # the garbled digits and the number said again
    assert muted(p, *word_times(s, "-I"))
    nobody = word_times(rest, "nobody")
    assert not touched(p, nobody[0] + PAD, nobody[1])  # the complaint after it is heard
    assert not touched(p, word_times(s, "cvv")[0], word_times(s, "cvv")[0] + 0.05)  # the cue itself too


def test_restating_words_do_not_end_a_cue_window():
    # "card number is, I mean, that is, again" + doubtful words: no content word resumed
    s = seg(" card", " number", (" bright", 0.3), " I", " mean", " that", " again", (" fellow", 0.2),
            (" garden", 0.3), " the", " branch", " never", " called")  # fmt: skip
    p = plan(s)
    assert muted(p, word_times(s, "bright")[0], word_times(s, "garden")[1])
    branch = word_times(s, "branch")
    assert not touched(p, branch[0] + PAD, branch[1])


def test_chinese_restating_words_do_not_end_a_cue_window():
    # 卡号 + a doubtful token, then 就是 / 我说 (restating): the window waits for content
    s = seg("卡号", ("留", 0.3), "就是", "我说", ("额度", 0.3), "柜台", "经理", "从来", "没有", "回电")
    p = plan(s, language="zh")
    assert muted(p, word_times(s, "留")[0], word_times(s, "我说")[1])
    assert not touched(p, *word_times(s, "从来"))


def test_once_the_number_was_heard_a_restating_word_does_not_end_the_window():
    # the number after the cue was muted; a garbled "-I," and "I mean" are no content words
    s = seg(" card", " number", " six", " two", " two", " two", (" -I,", 0.6), " I", " mean", (" bright", 0.3),
            (" fellow", 0.3), " branch", " manager", " never", " called")  # fmt: skip
    p = plan(s)
    assert muted(p, word_times(s, "six")[0], word_times(s, "fellow")[1])
    assert not touched(p, *word_times(s, "never"))


def test_a_contraction_is_its_first_word_so_i_d_is_not_the_cue_id():
    # call c014-en: "I'd" lost its apostrophe to the planner and was read as the cue "ID", so the
    # sentence after it was muted as if an ID number followed
    s = seg(" I'd", " like", " a", " refund", " for", " the", " fee", " today", ".")
    p = plan(s)
    assert not touched(p, *word_times(s, "refund")) and not touched(p, *word_times(s, "today"))
    assert p.segments[0].redacted == "I'd like a refund for the fee today."
    assert p.muted_s["cue"] == 0
    # the cue itself still opens its window
    assert plan(seg(" my", " id", " is", (" lurid", 0.3), " fine", ".")).muted_s["cue"] > 0


def test_a_window_after_a_doubtful_cue_reaches_the_end_of_its_voice_activity_region():
    # a doubtful cue may itself be misheard digits: the plain words that end its window vouch no
    # better than it does, so the window holds to the end of the stretch of speech it ends in
    words = (" six", " two", " three", " four", " the", " branch", " never", " called", " back")
    doubtful = seg((" card", 0.3), *words)
    region = [(0.0, doubtful.words[-1].end)]
    p = plan(doubtful, speech=region)
    assert muted(p, word_times(doubtful, "branch")[0], word_times(doubtful, "back")[1])
    # after a confidently heard cue the window ends where plain words resume, as before
    sure = seg(" card", *words)
    p = plan(sure, speech=region)
    assert not touched(p, word_times(sure, "never")[0], word_times(sure, "back")[1])
