"""Words of a transcript as the listening-copy planner (``recordings.deid``) sees them: the
tuning constants, the lexicon (``deid_lexicon.json``: number words, the engines' near-misses,
cue, repeat, e-mail and filler words), and ``Token``, one timed word with its marks. Pure."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .redaction import SegmentText

REASONS = ("number", "cue", "low_confidence", "uncovered", "email", "untimed")

# Tuned on bench/redaction.py's evaluation set (see bench/results/redaction-*.md).
LOW_PROB = 0.45  # a word below this is not "confidently" anything
RUN_GAP_S = 1.2  # number-like words closer than this belong to one spoken number
MIN_RUN_WEIGHT = 2  # digits in a run before it is muted (a lone "two" is not an identifier)
BRIDGE_S = 2.0  # words between two muted numbers closer than this are muted too ("6 20 22 银行服务 六七八")
# A number is usually read as one stretch of speech: a muted number reaches to the edge of the
# voice-activity region it lies in when that edge is this close (the recogniser's word times
# drift, and it turns the last digits into words: "银行" for "jiu3 ling2").
REGION_EDGE_S = 1.0
NEAR_ONLY_RUN = 3  # near-misses alone ("Nero Ine for") that make a number
CUE_HORIZON_S = 15.0  # a cue window never lasts longer than this
CUE_RESUME_WORDS = 3  # confident plain words (English) that end a cue window
CUE_RESUME_CHARS = 4  # confident plain characters (Chinese) that end a cue window
# After an e-mail cue, words that can be an address's spoken parts ("dot", "at", "com", and what the
# recogniser makes of them: "do not come" for "dot com", bench -d c046-en) are the address: they never
# end the window. Once one was heard, a pause this long after it and then a confident plain word end it.
EMAIL_PAUSE_S = 0.7
# After "I repeat" / "no wait" / 再说一遍 / 不对 the number is said again, and the recogniser may
# now hear it as confident plain words ("I made payment" for "five eight seven"): the stretch
# after such a cue is muted for as long as the number muted before it lasted, plus this slack.
REPEAT_SLACK_S = 0.5
REPEAT_LOOKBACK_S = 30.0  # only a number muted this recently can be "said again"
COVER_SLACK_S = 0.25  # word timestamps are approximate: a word covers this much around it
# A "word" longer than this is the aligner stretching a token over speech it did not
# recognise (seen: one "�" token spanning a 5 s card number); it covers nothing.
MAX_WORD_S = 1.5
UNCOVERED_MIN_S = 0.3  # shorter gaps between words are not "speech without words"
REVIEW_UNCOVERED_S = 1.5  # more uncovered speech than this: a person must listen first
REVIEW_MEAN_PROB = 0.5  # mean word probability below this: a person must listen first
# Speech is kept on the strength of confident words; when too many of the words it keeps are
# doubtful, nothing vouches for that audio: a person must listen first.
REVIEW_DOUBTFUL_KEPT = 0.15
# Decoding loops: Whisper, lost in speech it cannot read (digits in noise), repeats a token or a
# phrase ("河 河 河 河", "你可依靠，你可依靠，…", a whole sentence twice). Repeated words are no
# evidence that the speech under them is harmless: they cover nothing and are not "confident".
LOOP_SAME_TOKEN = 3  # the same token this many times in a row
LOOP_PHRASE = 4  # a phrase of this many tokens (or CJK characters) said before in the call
REVIEW_LOOP_S = 2.0  # more speech than this under repeated words: a person must listen first

_PUNCT = re.compile(r"[\W_]+", re.UNICODE)
_HAS_DIGIT = re.compile(r"\d", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff]")
_SENTENCE_END = re.compile(r"[.!?。！？]\s*$")
_CONTRACTION = re.compile(r"(?<=[a-z])['’](d|ll|ve|re|m)\b")


@lru_cache(maxsize=1)
def lexicon() -> dict:
    data = json.loads((Path(__file__).with_name("deid_lexicon.json")).read_text(encoding="utf-8"))
    return {
        "en_numbers": frozenset(data["en_numbers"]),
        "en_near": frozenset(data["en_near_misses"]),
        "zh_numerals": frozenset(data["zh_numerals"]),
        "zh_near": frozenset(data["zh_near_misses"]) - frozenset(data["zh_numerals"]),
        "cues_en": frozenset(data["cues_en"]),
        "cues_zh": tuple(sorted(data["cues_zh"], key=len, reverse=True)),
        "repeat_en": frozenset(data["repeat_en"]),
        "repeat_zh": tuple(data["repeat_zh"]),
        "email_en": frozenset(data["email_words_en"]),
        "email_zh": frozenset(data["email_words_zh"]),
        "email_cues_en": frozenset(data["email_cues_en"]),
        "email_cues_zh": tuple(data["email_cues_zh"]),
        "email_parts_en": frozenset(data["email_parts_en"]),
        "email_parts_zh": tuple(sorted(data["email_parts_zh"], key=len, reverse=True)),
        "fillers_en": frozenset(data["fillers_en"]),
        "fillers_zh": frozenset(data["fillers_zh"]),
        "hold_en": frozenset(data["cue_hold_en"]),
        "hold_zh": tuple(data["cue_hold_zh"]),
    }


# --------------------------------------------------------------------------- words


@dataclass
class Token:
    seg: int  # segment index
    a: int  # character range in the segment text
    b: int
    start: float
    end: float
    text: str
    prob: float | None
    weight: int = 0  # digits this word stands for
    near: bool = False  # a word the engines write for a digit
    letter: bool = False  # a spelled letter or an e-mail word
    email: bool = False  # an e-mail address itself
    cue: bool = False
    email_cue: bool = False  # a cue that names an e-mail address (email, 邮箱)
    email_part: bool = False  # can be a spoken part of an address ("dot", "at", "come" for "com", 点)
    repeat_cue: bool = False  # "I repeat", "no wait", 再说一遍, 不对: the number comes again
    filler: bool = False  # does not break a spoken number ("six, uh, two")
    # restates or announces the number ("I mean", "that", 就是) or is a single letter ("I", "a"):
    # no content word, so it never ends a cue window (deid_cues)
    hold: bool = False
    repeat: bool = False  # part of a decoding loop: evidence of nothing
    near_loop: bool = False  # decoded in or next to a decoding loop
    distrust: bool = False  # near a loop and not in a run of confident plain words
    reasons: set[str] = field(default_factory=set)

    @property
    def confident(self) -> bool:
        return not (self.repeat or self.distrust) and (self.prob is None or self.prob >= LOW_PROB)

    @property
    def numberish(self) -> bool:
        return self.weight > 0 or self.near or self.letter or self.email

    @property
    def plain(self) -> bool:
        return not (self.numberish or self.cue or self.filler)


def classify(token: Token) -> Token:
    """Set the number/near/letter/email/cue/filler marks of one recognised word."""
    lex = lexicon()
    raw = unicodedata.normalize("NFKC", token.text).strip().lower()
    core = _PUNCT.sub("", raw)
    if "@" in raw:
        token.email = True
    if not core:
        token.filler = True
        return token
    digits = len(_HAS_DIGIT.findall(core))
    token.weight = digits
    if _CJK.search(core):
        numerals = sum(ch in lex["zh_numerals"] for ch in core)
        near = sum(ch in lex["zh_near"] for ch in core)
        if digits + numerals and digits + numerals + near == len(core):
            token.weight = digits + numerals  # 六二二二, 伞零
        elif numerals >= 2:
            token.weight = digits + numerals  # 卡号六二二二: a number inside a longer token
        elif numerals:
            token.near = True  # 三个, 一下, 两天: counts only next to a number
        elif near == len(core):
            token.near = True  # 伞, 就, 是: what the engines write for 三, 九, 四
        token.letter = all(ch in lex["email_zh"] for ch in core)
        token.cue = any(cue in core for cue in lex["cues_zh"])
        token.email_cue = any(cue in core for cue in lex["email_cues_zh"])
        token.email_part = any(part in core for part in lex["email_parts_zh"])
        token.repeat_cue = any(cue in core for cue in lex["repeat_zh"])
        token.filler = not token.numberish and all(ch in lex["fillers_zh"] for ch in core)
        token.hold = any(h in core for h in lex["hold_zh"])
        return token
    acronym = re.fullmatch(r"([A-Z]{2,6})s?", _PUNCT.sub("", unicodedata.normalize("NFKC", token.text).strip()))
    if acronym:
        token.weight += len(acronym.group(1))  # "HBO" for "eight three oh": each letter may be a digit
        return token
    # a contraction is its first word: "I'd" is "I" (not the cue "ID"), "we'll" is "we"
    raw = _CONTRACTION.sub("", raw)
    core = _PUNCT.sub("", raw) or core
    token.hold = len(core) == 1 or core in lex["hold_en"]
    words = raw.replace("-", " ").split()
    token.email_cue = core in lex["email_cues_en"] or any(_PUNCT.sub("", w) in lex["email_cues_en"] for w in words)
    token.email_part = core in lex["email_parts_en"] or any(_PUNCT.sub("", w) in lex["email_parts_en"] for w in words)
    for word in words:
        w = _PUNCT.sub("", word)
        if w in lex["en_numbers"]:
            token.weight += 1
        elif w in lex["en_near"]:
            token.near = True
        elif w in lex["cues_en"]:
            token.cue = True
        if w in lex["repeat_en"]:
            token.repeat_cue = True
    if token.weight == 0 and not token.email:
        if re.fullmatch(r"[a-z]", core) and core not in ("a", "i") or core in lex["email_en"]:
            token.letter = True
        elif core in lex["fillers_en"]:
            token.filler = True
    return token


def _tokens(segments: Sequence[SegmentText], texts: list[str]) -> tuple[list[Token], list[int]]:
    """Timed words of every segment with their character ranges; segments that cannot be
    timed (no words, or words that do not rebuild the text) are returned as ``untimed``."""
    tokens: list[Token] = []
    untimed: list[int] = []
    for i, (seg, text) in enumerate(zip(segments, texts, strict=True)):
        if not seg.words:
            if text.strip():
                untimed.append(i)
            continue
        cursor, seg_tokens = 0, []
        for w in seg.words:
            t = w.text.strip()
            if not t:
                continue
            at = text.find(t, cursor)
            if at < 0 or text[cursor:at].strip() or not (w.end >= w.start >= 0):
                seg_tokens = None
                break
            token = Token(i, at, at + len(t), float(w.start), float(w.end), t, w.prob, near_loop=w.near_loop)
            seg_tokens.append(classify(token))
            cursor = at + len(t)
        if seg_tokens is None or text[cursor:].strip():
            untimed.append(i)  # characters no timed word covers: fail closed
            continue
        tokens.extend(seg_tokens)
    tokens.sort(key=lambda t: (t.start, t.seg, t.a))
    return tokens, untimed
