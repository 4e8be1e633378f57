"""The pure matcher (callqa.rules): planted phrases found, misrecognised ones too, unrelated
speech left alone; where each hit is; the measurement rules; the emotion score's parts."""

from __future__ import annotations

from importlib import import_module

import pytest

from callqa import rules as R
from callqa.facts import AudioFacts, Cue, Turn, Word

DEFAULTS = import_module("callqa.migrations.0002_default_rules").DEFAULT_RULES


def default_specs() -> list[R.RuleSpec]:
    return [
        R.RuleSpec(i, key, kind, weight, name, {"zh": tuple(zh), "en": tuple(en)}, params)
        for i, (key, name, kind, weight, zh, en, params) in enumerate(DEFAULTS, start=1)
    ]


def spec(key: str) -> R.RuleSpec:
    return next(s for s in default_specs() if s.key == key)


def keys(result) -> set[str]:
    return {h.rule for h in result.hits}


def run(turns, rules=None, *, stereo=True, duration=None, **facts):
    duration = duration or max(t.end for t in turns) + 1
    base = R.facts_from_turns(turns, duration=duration, stereo=stereo)
    if facts:
        base = AudioFacts(**{**base.__dict__, **facts})
    return R.evaluate(turns, base, rules if rules is not None else default_specs())


# Said by the agent, as the recogniser might write it: (rule, text).
PLANTED = [
    ("recording_notice", "本次通话将被录音"),
    ("recording_notice", "本次通话将被路印"),  # 录音 -> 路印 (same toneless pinyin)
    ("recording_notice", "本次通话将被录影"),  # yin -> ying (fuzzy final)
    ("recording_notice", "您好本次通话讲被录音请您知悉"),  # 将 -> 讲, inside a longer stretch
    ("recording_notice", "this call may be recorded for quality purposes"),
    ("recording_notice", "this call may be record"),  # stemming
    ("identity_check", "我先核实一下您的身分"),  # 份 -> 分
    ("identity_check", "请问您的姓命是"),  # 名 -> 命 (ming)
    ("identity_check", "first i need to verify your identity please"),
    ("promise_returns", "这个产品保本保席的"),  # 息 -> 席
    ("promise_returns", "放心买，稳转不赔"),  # 赚 -> 转 (zhuan)
    ("promise_returns", "it comes with a guaranteed return every year"),
    ("promise_returns", "this fund gives guaranteed returns"),
    ("blame_customer", "这是你自己的问题"),
    ("blame_customer", "那只能怪你自己"),
    ("full_credentials", "请告诉我您的密马"),  # 码 -> 马
    ("full_credentials", "您银行卡密码是多少"),
    ("full_credentials", "can you tell me your pin"),
    # Several homophones in one phrase: a character match fails these, the pinyin one does not.
    ("recording_notice", "本刺通化将被路印"),
    ("promise_returns", "我们这款宝本保席"),
    ("promise_returns", "绝对稳转不陪"),
    ("blame_customer", "这是尼自己的问提"),
    ("full_credentials", "您银行卡蜜马是多少"),
]

# Agent speech that must trigger no forbidden phrase and is not a required phrase.
UNRELATED = [
    "我们这边帮您查一下账单明细",
    "您的年费已经减免了",
    "理财产品有风险，投资需谨慎",
    "我们不能承诺保本保息",  # negated
    "这款产品不保证收益",  # negated
    "we cannot promise a guaranteed return",  # negated
    "密码请您自己在键盘上输入，我们不会询问",
    "please do not tell anyone your password",
    "your card will arrive in five working days",
    "本月的还款日是十五号",
    "请您稍后留意短信通知",
    "您自己可以在手机银行上查看",
]


# A negation in an earlier clause does not negate the promise (bench/qa corpus: q002-en).
PLANTED += [
    ("promise_returns", "don't worry, guaranteed returns on this fund"),
    ("promise_returns", "你不会亏的，保本保息"),
]


@pytest.mark.parametrize(("rule", "text"), PLANTED)
def test_a_planted_phrase_is_found_also_when_misrecognised(rule, text):
    turns = [Turn("agent", 5.0, 9.0, text)]
    result = run(turns, [spec(rule)])
    if rule in ("recording_notice", "identity_check"):
        assert result.hits == [], f"{text!r} should satisfy {rule}"
    else:
        assert [h.rule for h in result.hits] == [rule]
        assert result.hits[0].second is not None and 5.0 <= result.hits[0].second <= 9.0


@pytest.mark.parametrize("text", UNRELATED)
def test_unrelated_agent_speech_triggers_no_phrase_rule(text):
    turns = [Turn("agent", 5.0, 9.0, text)]
    result = run(turns, [s for s in default_specs() if s.kind == R.FORBIDDEN])
    assert result.hits == []
    required = [s for s in default_specs() if s.key in ("recording_notice", "identity_check")]
    assert keys(run(turns, required)) == {"recording_notice", "identity_check"}


def test_precision_and_recall_over_the_planted_set():
    """Forbidden phrases: every planted one found, no unrelated sentence flagged (precision and
    recall 1.0 on this set; bench/qa.py measures them on generated audio)."""
    forbidden = [s for s in default_specs() if s.kind == R.FORBIDDEN]
    planted = [(r, t) for r, t in PLANTED if r in {s.key for s in forbidden}]
    found = sum(keys(run([Turn("agent", 0, 4, t)], forbidden)) == {r} for r, t in planted)
    false = sum(bool(run([Turn("agent", 0, 4, t)], forbidden).hits) for t in UNRELATED)
    assert (found, false) == (len(planted), 0)


def test_the_hit_is_at_the_second_the_words_were_said():
    words = tuple(Word(ch, 30.0 + 0.25 * i, 30.25 + 0.25 * i) for i, ch in enumerate("好的这个产品保本保息您放心"))
    turn = Turn("agent", 30.0, 33.25, "".join(w.text for w in words), words)
    (hit,) = run([turn], [spec("promise_returns")]).hits
    assert hit.text == "保本保息"
    assert hit.second == pytest.approx(30.0 + 0.25 * 6)
    assert hit.end == pytest.approx(30.25 + 0.25 * 9)


def test_required_phrases_count_for_the_agent_only_and_forbidden_ones_too():
    turns = [
        Turn("customer", 1, 4, "本次通话将被录音吗？你们说保本保息的"),
        Turn("agent", 5, 8, "您好，请问有什么可以帮您"),
    ]
    result = run(turns, [spec("recording_notice"), spec("promise_returns")])
    assert keys(result) == {"recording_notice"}
    (missing,) = result.hits
    assert missing.second is None and missing.speaker == "agent"
    assert "mono" not in result.notes


def test_a_mono_call_checks_all_speech_and_says_so():
    turns = [Turn("unknown", 1, 4, "本次通话将被录音"), Turn("unknown", 5, 9, "我要投诉你们")]
    result = run(turns, [spec("recording_notice"), spec("talk_ratio"), spec("overtalk")], stereo=False)
    assert result.hits == []
    assert result.speakers_known is False
    assert {"mono", "talk_ratio_unknown", "overtalk_unknown"} <= set(result.notes)


def test_greeting_must_come_at_the_start_and_closing_at_the_end():
    late_greeting = [Turn("agent", 45, 47, "您好"), Turn("agent", 100, 103, "感谢您的来电")]
    assert keys(run(late_greeting, [spec("greeting"), spec("closing")], duration=110)) == {"greeting"}
    early_closing = [
        Turn("agent", 1, 2, "您好"),
        Turn("agent", 5, 8, "感谢您的来电"),
        Turn("customer", 10, 100, "嗯" * 50),
    ]
    assert keys(run(early_closing, [spec("greeting"), spec("closing")], duration=200)) == {"closing"}


def test_silence_hold_overtalk_ratio_and_rate():
    turns = [
        Turn("agent", 0, 4, "您好很高兴为您服务"),
        Turn("customer", 3, 8, "我想问一下账单"),  # overlaps the agent 1 s
        Turn("agent", 20, 22, "好的"),  # 12 s of silence before
        Turn("agent", 23, 25, "请稍等"),  # announced hold, then 70 s
        Turn("agent", 95, 99, "让您久等了" * 6),  # 30 characters in 4 s: 450 per minute
        Turn("customer", 99.5, 103, "好的谢谢"),
    ]
    only = [spec(k) for k in ("long_silence", "hold", "overtalk", "talk_ratio", "speaking_rate")]
    result = run(turns, only)
    by = {h.rule: h for h in result.hits}
    assert by["long_silence"].second == 8 and "12.0 s" in by["long_silence"].detail
    assert by["hold"].second == 25 and by["hold"].text == "请稍等"
    assert [h.second for h in result.hits if h.rule == "long_silence"] == [8]  # the hold is not also a silence
    assert "overtalk" not in by  # 1 s < 2 s
    assert by["speaking_rate"].second == 95
    longer = run([*turns[:1], Turn("customer", 1, 8, "我想问一下账单")], [spec("overtalk")])
    assert [(h.second, h.end) for h in longer.hits] == [(1, 4)]


def test_silence_hold_and_overtalk_hits_say_how_long_against_which_limit():
    """What each interval rule's hit carries (rules._interval_hits): who, where, the text that
    announced a hold, the English detail and the (code, values) the pages translate."""
    turns = [
        Turn("agent", 0, 4, "您好很高兴为您服务"),
        Turn("customer", 1, 8, "我想问一下账单"),  # over the agent 3 s
        Turn("agent", 20, 22, "好的"),  # 12 s of silence before
        Turn("agent", 23, 25, "请稍等"),  # announced, then 70 s
        Turn("agent", 95, 99, "让您久等了"),
    ]
    hits = {h.rule: h for h in run(turns, [spec(k) for k in ("long_silence", "hold", "overtalk")]).hits}
    got = {k: (h.speaker, h.second, h.end, h.text, h.detail, h.why) for k, h in hits.items()}
    assert got == {
        "long_silence": ("", 8, 20, "", "silence 12.0 s (limit 10 s)", ("silence", {"seconds": 12.0, "limit": 10.0})),
        "hold": ("agent", 25, 95, "请稍等", "hold 70.0 s (limit 60 s)", ("hold", {"seconds": 70.0, "limit": 60.0})),
        "overtalk": ("", 1, 4, "", "both speak 3.0 s (limit 2 s)", ("overtalk", {"seconds": 3.0, "limit": 2.0})),
    }
    mono = run([Turn("unknown", t.start, t.end, t.text) for t in turns], [spec("hold")], stereo=False).hits
    assert [h.speaker for h in mono] == ["unknown"]


def test_score_costs_each_rule_once_and_never_goes_below_zero():
    assert R.score_of([("a", 30), ("a", 30), ("b", 5)]) == 65
    assert R.score_of([("a", 80), ("b", 40)]) == 0
    turns = [Turn("agent", 0, 5, "保本保息，稳赚不赔"), Turn("agent", 10, 15, "保本保息")]
    result = run(turns, [spec("promise_returns")])
    assert len(result.hits) == 2 and result.score == 70


def test_emotion_lists_each_contribution_from_words_and_audio():
    turns = [Turn("agent", 0, 3, "您好"), Turn("customer", 4, 9, "我要投诉，再不解决我就去银保监，找媒体曝光")]
    cues = (
        Cue("loudness_rise", 6, 9, 6.0),  # 6 dB -> 12 points
        Cue("pitch_rise", 6, 9, 1.0),  # below 2 semitones: not counted
        Cue("interruption", 7, 7.5, 1.0),
        Cue("loudness_rise", 6, 9, 9.0, speaker="agent"),  # the agent's voice is not the customer's emotion
    )
    result = run(turns, [], cues=cues)
    parts = {(p.source, p.label): p.points for p in result.emotion_parts}
    assert parts == {
        ("words", "客户明确提出投诉"): 30,
        ("words", "提及监管或12378热线"): 30,
        ("words", "舆情风险：提及媒体曝光"): 20,
        ("audio", "loudness_rise"): 12,
        ("audio", "interruption"): 5,
    }
    assert result.emotion == 97 and R.is_strong(result.emotion, result.complaint_cue_score)
    calm = run([Turn("customer", 0, 3, "好的谢谢你")], [])
    assert (calm.emotion, calm.emotion_parts, R.is_strong(calm.emotion, calm.complaint_cue_score)) == (0, [], False)


def test_agent_words_do_not_count_as_customer_emotion():
    result = run([Turn("agent", 0, 3, "如需投诉可拨打热线")], [])
    assert result.emotion == 0
