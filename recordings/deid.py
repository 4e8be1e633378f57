"""Plan a listening copy that is de-identified by construction.

Pure (no Django). Muting only what the recogniser *recognised* as digits leaks whenever it
hears "Nero" for zero, "伞" for 三, or skips a stretch of speech. So this planner works the
other way round: a stretch of speech is kept only when the transcript covers it with words
that are confidently not personal data; everything else is muted. Layers, any one of which
mutes (the ``reason`` recorded with each span):

``number``          number-like words: digits, number words (English and Chinese, incl. 幺 两 洞),
                    letters mixed with digits, and the engines' near-misses for digits
                    (``deid_lexicon.json``) when they sit next to other number-like words;
``cue``             after a cue word (card, phone, ID, 卡号, 手机, 验证码 ...) until confident
                    non-number words resume (one is enough once the number itself was heard)
                    or a horizon passes;
``low_confidence``  words below a probability threshold next to a number-like run, and words
                    decoded next to a decoding loop outside a run of confident plain words;
``uncovered``       speech that voice activity detection heard but no transcript word covers;
``email``           e-mail addresses and spelled letters ("j dot smith at example dot com");
``untimed``         text that cannot be placed in time (its whole segment is muted).

The redacted text masks exactly the words whose audio is muted, and is checked once more by
``complaints.pii.find_sensitive``: anything it still finds mutes (and masks) its whole segment.

The status is ``ok`` only when every layer ran (word times and VAD regions were available)
and the transcript covers the speech with enough confidence; otherwise ``needs_review``: the
copy is still muted as well as possible, but a person must listen before it is released.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from complaints.pii import find_sensitive

from .redaction import SegmentText, Word, mask_label, merge_spans

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
        return token
    acronym = re.fullmatch(r"([A-Z]{2,6})s?", _PUNCT.sub("", unicodedata.normalize("NFKC", token.text).strip()))
    if acronym:
        token.weight += len(acronym.group(1))  # "HBO" for "eight three oh": each letter may be a digit
        return token
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


# --------------------------------------------------------------------------- layers


def _number_runs(tokens: list[Token]) -> None:
    """Layers 1 and 3: runs of number-like words (and the doubtful words next to them)."""
    i = 0
    while i < len(tokens):
        if not tokens[i].numberish:
            i += 1
            continue
        run = [i]
        j = i + 1
        while j < len(tokens) and tokens[j].start - tokens[run[-1]].end <= RUN_GAP_S:
            t = tokens[j]
            if t.numberish or t.filler or not t.confident:
                run.append(j)
                j += 1
            else:
                break
        # a doubtful word just before the run belongs to it too ("fam six two")
        k = i - 1
        while k >= 0 and not tokens[k].confident and tokens[run[0]].start - tokens[k].end <= RUN_GAP_S:
            run.insert(0, k)
            k -= 1
        while run and tokens[run[-1]].filler:
            run.pop()
        members = [tokens[n] for n in run]
        weight = sum(t.weight for t in members)
        near = sum(t.near for t in members)
        letters = sum(t.letter for t in members)
        doubtful = sum(not t.confident and not t.numberish for t in members)
        is_email = any(t.email for t in members) or letters >= 3
        is_number = weight >= MIN_RUN_WEIGHT or weight + near + doubtful >= NEAR_ONLY_RUN
        if is_email or is_number:
            for t in members:
                if t.numberish or t.weight:
                    t.reasons.add("email" if (t.email or t.letter) and is_email and not t.weight else "number")
                elif not t.confident:
                    t.reasons.add("low_confidence")
                else:
                    t.reasons.add("number")  # a filler inside a spoken number
        i = max(j, i + 1)


def _number_extents(tokens: list[Token], speech: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Around muted numbers: the words bridging two of them, and the rest of the speech
    region up to a close edge (see BRIDGE_S and REGION_EDGE_S). Bridged words are marked too."""
    muted = [t for t in tokens if "number" in t.reasons]
    # a doubtful word a spoken number took in ("铁" for the last digits) is part of it: the
    # number reaches to the region edge from there
    in_runs = muted + [t for t in tokens if "low_confidence" in t.reasons]
    extents: list[tuple[float, float]] = []
    for a, b in zip(muted, muted[1:], strict=False):
        if b.start - a.end <= BRIDGE_S and b.start > a.end:
            extents.append((a.end, b.start))
            for t in tokens:
                if t.start >= a.end and t.end <= b.start and not t.reasons:
                    t.reasons.add("number")
    for s0, s1 in speech:
        inside = [t for t in muted if t.start < s1 and s0 < t.end]
        if inside and 0 < min(t.start for t in inside) - s0 <= REGION_EDGE_S:
            extents.append((s0, min(t.start for t in inside)))
        last = max((t.end for t in in_runs if t.start < s1 and s0 < t.end), default=None)
        if inside and 0 < s1 - last <= REGION_EDGE_S:
            extents.append((last, s1))
    return extents


def _cue_windows(tokens: list[Token], duration_s: float) -> list[tuple[float, float]]:
    """Layer 2: after a cue, mute until confident plain words resume (or the horizon). Once a
    muted number has been heard after the cue, the first confident plain word (not a near-miss)
    after it ends the window; before that, it takes CUE_RESUME_WORDS / CUE_RESUME_CHARS.
    After an e-mail cue (also "address" right after "email"), words that can be the address's
    spoken parts never end it; once one was heard, the first confident plain word after a pause
    of EMAIL_PAUSE_S does (see EMAIL_PAUSE_S)."""
    windows = []
    for i, cue in enumerate(tokens):
        if not cue.cue or _SENTENCE_END.search(cue.text):
            continue  # "... on my credit card." names no number
        horizon = cue.end + CUE_HORIZON_S
        end = min(horizon, duration_s)
        plain_words = plain_chars = 0
        resume_at = None
        heard = False  # a muted number after the cue
        email = cue.email_cue or (i > 0 and tokens[i - 1].email_cue and cue.start - tokens[i - 1].end <= RUN_GAP_S)
        part_end = None  # end of the last address part heard after an e-mail cue
        paused = False  # a pause of EMAIL_PAUSE_S after it
        prev_end = cue.end
        for t in tokens[i + 1 :]:
            gap, prev_end = t.start - prev_end, max(prev_end, t.end)
            if part_end is not None and gap >= EMAIL_PAUSE_S:
                paused = True
            if t.start >= horizon:
                break
            if _SENTENCE_END.search(t.text):
                end = t.end  # the sentence that named the number is over
                break
            if t.filler and not t.reasons:
                continue  # "and", "the", 嗯: neither resumes nor interrupts
            if t.cue and not t.weight and not t.reasons:
                end = (resume_at or t).start  # "card number": the next cue's window takes over
                break
            if email and t.email_part:
                part_end, paused = t.end, False  # the address goes on ("do not come" for "dot com")
                plain_words = plain_chars = 0
                resume_at = None
                continue
            if t.confident and not (t.reasons or t.weight or t.letter or t.email):
                # a plain word (or a near-miss no number claimed: "phone line")
                if paused and not t.near:
                    end = t.start  # the address was said and over: a new phrase after a pause
                    break
                if heard and not t.near and not email:  # an address goes on after its digits
                    # the number the cue named was heard (and muted) and is over: one confident
                    # plain word after it ends the window (bench: cue seconds were mostly the
                    # harmless speech after the number, waiting for three plain words in a row)
                    end = t.start
                    break
                if resume_at is None:
                    resume_at = t
                plain_words += 1
                plain_chars += len(_PUNCT.sub("", t.text))
                cjk = bool(_CJK.search(t.text))
                if (cjk and plain_chars >= CUE_RESUME_CHARS) or (not cjk and plain_words >= CUE_RESUME_WORDS):
                    end = resume_at.start
                    break
            else:
                plain_words = plain_chars = 0
                resume_at = None
                heard = heard or "number" in t.reasons
        # tokens are sorted by start: a word lies inside the window iff the next one starts in it
        word_inside = i + 1 < len(tokens) and tokens[i + 1].start < end
        if end > cue.end and (word_inside or end - cue.end >= UNCOVERED_MIN_S):
            windows.append((cue.end, end))
            for t in tokens[i + 1 :]:
                if t.start >= end:
                    break
                if _overlap(t.start, t.end, cue.end, end) >= 0.5 * max(t.end - t.start, 1e-3):
                    t.reasons.add("cue")
    return windows


def _repeat_windows(tokens: list[Token]) -> list[tuple[float, float]]:
    """Layer 2b: after a repeat or correction cue, the number muted just before is said again;
    mute as long as that number lasted (confident words do not end this window)."""
    runs: list[tuple[float, float]] = []  # muted numbers so far, in time order
    for t in tokens:
        if "number" not in t.reasons:
            continue
        if runs and t.start - runs[-1][1] <= RUN_GAP_S:
            runs[-1] = (runs[-1][0], max(runs[-1][1], t.end))
        else:
            runs.append((t.start, t.end))
    windows = []
    for i, cue in enumerate(tokens):
        if not cue.repeat_cue:
            continue
        before = [r for r in runs if r[1] <= cue.start + 1e-6 and cue.start - r[1] <= REPEAT_LOOKBACK_S]
        if not before:
            continue
        end = cue.end + (before[-1][1] - before[-1][0]) + REPEAT_SLACK_S
        for t in tokens[i + 1 :]:
            if t.start >= end:
                break
            t.reasons.add("cue")  # the whole word, also the part past the window
        windows.append((cue.end, end))
    return windows


def _mark_loops(tokens: list[Token]) -> float:
    """Mark the tokens of decoding loops (see LOOP_*); returns the seconds they span."""
    norm = [_PUNCT.sub("", t.text).lower() for t in tokens]
    i = 0
    while i < len(tokens):  # the same token again and again
        j = i
        while j + 1 < len(tokens) and norm[j + 1] == norm[i] and norm[i]:
            j += 1
        if j - i + 1 >= LOOP_SAME_TOKEN:
            for t in tokens[i : j + 1]:
                t.repeat = True
        i = j + 1
    seen: set[tuple[str, ...]] = set()
    for i in range(len(tokens)):  # a phrase said before (the first time is kept)
        if not norm[i]:
            continue
        units, k = 0, i
        while k < len(tokens) and units < LOOP_PHRASE:
            if norm[k]:  # a Chinese character or a whole English word is one unit
                units += len(norm[k]) if _CJK.search(norm[k]) else 1
            k += 1
        gram = tuple(x for x in norm[i:k] if x)
        if units < LOOP_PHRASE or len(gram) < 2:
            continue
        if gram in seen:
            for t in tokens[i:k]:
                t.repeat = True
        seen.add(gram)
    return sum(t.end - t.start for t in tokens if t.repeat)


def _distrust_near_loops(tokens: list[Token]) -> None:
    """Layer 0: words decoded in or next to a stretch the decoder looped over (``near_loop``).
    A decode resumed after a loop may start inside the number it could not read and write its
    digits as plain words ("牛牛花汤"): such words vouch for their audio only as a run of
    confident plain words with CUE_RESUME_WORDS / CUE_RESUME_CHARS different words / characters;
    the others are doubtful (not ``confident``) and muted. Kept ones ask for a listen."""
    run: list[Token] = []

    def close() -> None:  # distinct: digits heard as words repeat a few syllables ("摇摇人摇")
        units = [_PUNCT.sub("", t.text).lower() for t in run if not t.filler]
        chars = {ch for u in units for ch in u if _CJK.match(ch)}
        words = {u for u in units if u and not _CJK.search(u)}
        if len(words) < CUE_RESUME_WORDS and len(chars) < CUE_RESUME_CHARS:
            for t in run:
                t.distrust = True
        run.clear()

    for t in tokens:
        if run and (not t.near_loop or t.start - run[-1].end > RUN_GAP_S):
            close()
        if t.near_loop and t.confident and (t.plain or t.filler):
            run.append(t)
        elif t.near_loop:
            close()
            t.distrust = True
    close()
    for t in tokens:
        if t.distrust:
            t.reasons.add("low_confidence")


def _uncovered(tokens: list[Token], speech: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Layer 4: speech regions that no transcript word covers (words of a decoding loop and
    words stretched far beyond their spoken length cover nothing)."""
    covered = merge_spans(
        [(t.start, t.end) for t in tokens if not t.repeat and t.end - t.start <= _max_length(t)], pad_s=COVER_SLACK_S
    )
    out = []
    for s0, s1 in speech:
        pos = s0
        for c0, c1 in covered:
            if c1 <= pos or c0 >= s1:
                continue
            if c0 - pos >= UNCOVERED_MIN_S:
                out.append((pos, c0))
            pos = max(pos, c1)
        if s1 - pos >= UNCOVERED_MIN_S:
            out.append((pos, s1))
    return out


def _max_length(t: Token) -> float:
    """How long the spoken form of this token can plausibly last ("6222021234567890" takes
    seconds, "铁" does not)."""
    core = _PUNCT.sub("", t.text)
    syllables = sum(ch.isdigit() or bool(_CJK.match(ch)) for ch in core)
    return MAX_WORD_S + 0.45 * syllables + 0.08 * (len(core) - syllables)


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


# --------------------------------------------------------------------------- the plan


@dataclass
class SegmentPlan:
    text: str
    redacted: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)  # masked char spans (start, end, kind)
    untimed: bool = False


@dataclass
class DeidPlan:
    segments: list[SegmentPlan]
    mute: list[tuple[float, float, str]]  # padded, merged, clamped; reason of the longest part
    muted_s: dict[str, float]  # seconds muted per reason (each reason's spans padded and merged)
    uncovered_s: float
    mean_prob: float | None
    layers: list[str]  # layers that ran
    review: list[str]  # why a person must listen before release (empty: ok)
    findings: int  # masked stretches in the text

    @property
    def status(self) -> str:
        return "needs_review" if self.review else "ok"

    @property
    def mute_times(self) -> list[tuple[float, float]]:
        return [(a, b) for a, b, _r in self.mute]

    @property
    def muted_total_s(self) -> float:
        return round(sum(b - a for a, b, _r in self.mute), 3)


def plan_listening_copy(
    segments: Sequence[SegmentText],
    *,
    speech: Sequence[tuple[float, float]] | None,
    language: str = "zh",
    duration_s: float,
    pad_s: float,
    text_check=find_sensitive,
) -> DeidPlan:
    """The mute spans and masked text for one transcript (see the module docstring).

    ``speech`` are the voice-activity regions of the same audio; ``None`` means VAD did not
    run, so uncovered speech cannot be ruled out and the plan needs review. ``text_check``
    finds personal data in the masked text (``complaints.pii.find_sensitive``): whatever it
    still finds mutes its whole segment."""
    texts = [_segment_text(s) for s in segments]
    tokens, untimed = _tokens(segments, texts)
    loop_s = _mark_loops(tokens)
    _distrust_near_loops(tokens)
    _number_runs(tokens)
    extents = _number_extents(tokens, speech or [])
    windows = _cue_windows(tokens, duration_s) + _repeat_windows(tokens)
    uncovered = _uncovered(tokens, speech or [])
    spans: dict[str, list[tuple[float, float]]] = {r: [] for r in REASONS}
    for t in tokens:
        for r in t.reasons:
            spans[r].append((t.start, t.end))
    for i in untimed:
        spans["untimed"].append((segments[i].start, segments[i].end))
    spans["uncovered"] = uncovered
    spans["number"] += extents
    spans["cue"] += windows  # the time between words too: a number the recogniser dropped

    plans = _mask_text(segments, texts, tokens, untimed, spans, language, duration_s)
    leftover = [i for i, p in enumerate(plans) if not p.untimed and text_check(p.redacted)]
    for i in leftover:  # the text check disagrees: fail closed on the whole segment
        spans["untimed"].append((segments[i].start, segments[i].end))
        plans[i].redacted, plans[i].untimed = mask_label("digits", language), True
        plans[i].spans = [(0, len(plans[i].text), "digits")]

    mute = _merge_with_reasons(spans, pad_s=pad_s, duration_s=duration_s)
    muted_s = {
        r: round(sum(b - a for a, b in merge_spans(s, pad_s=pad_s, duration_s=duration_s)), 3) for r, s in spans.items()
    }
    probs = [t.prob for t in tokens if t.prob is not None]
    mean_prob = round(sum(probs) / len(probs), 4) if probs else None
    uncovered_s = round(sum(b - a for a, b in uncovered), 3)

    layers = ["number", "cue", "low_confidence", "email"] if tokens or not texts else []
    review: list[str] = []
    if speech is None:
        review.append("voice activity detection did not run: uncovered speech cannot be ruled out")
    else:
        layers.append("uncovered")
    if untimed or leftover:
        review.append(f"{len(set(untimed) | set(leftover))} segment(s) without reliable word times (muted whole)")
    if uncovered_s > REVIEW_UNCOVERED_S:
        review.append(f"{uncovered_s:.1f} s of speech has no transcript (muted)")
    if loop_s > REVIEW_LOOP_S:
        review.append(f"the recogniser repeated itself over {loop_s:.1f} s (a decoding loop)")
    kept = [t for t in tokens if not t.reasons and not t.filler]
    n = sum(t.near_loop for t in kept)
    if n:
        review.append(f"{n} word(s) kept audible were decoded next to a decoding loop (not trusted alone)")
    doubtful = sum(not t.confident for t in kept)
    if kept and doubtful / len(kept) >= REVIEW_DOUBTFUL_KEPT:
        review.append(f"{doubtful} of {len(kept)} words kept audible were recognised with low confidence")
    if mean_prob is not None and mean_prob < REVIEW_MEAN_PROB:
        review.append(f"low recognition confidence (mean word probability {mean_prob:.2f})")
    # (a segment without words but with text is ``untimed`` above; one without text holds nothing:
    # speech under it that no word covers is ``uncovered``)
    findings = sum(len(p.spans) for p in plans)
    return DeidPlan(plans, mute, muted_s, uncovered_s, mean_prob, layers, review, findings)


def _segment_text(seg: SegmentText) -> str:
    if not seg.words:
        return seg.text.strip()
    return "".join(w.text for w in seg.words).strip()


def _mask_text(segments, texts, tokens, untimed, spans, language, duration_s) -> list[SegmentPlan]:
    """Mask every word whose audio is muted: selected by a layer, or at least half inside
    the final (padded) mute. Neighbouring masked words become one label."""
    plans = [SegmentPlan(text=t, redacted=t) for t in texts]
    for i in untimed:
        plans[i].untimed = True
        plans[i].redacted = mask_label("digits", language) if texts[i] else ""
        plans[i].spans = [(0, len(texts[i]), "digits")] if texts[i] else []
    # unpadded: the padding protects the audio edges, it does not make neighbouring words PII
    final = merge_spans([s for v in spans.values() for s in v], pad_s=0.0, duration_s=duration_s)
    by_seg: dict[int, list[Token]] = {}
    for t in tokens:
        inside = sum(_overlap(t.start, t.end, a, b) for a, b in final)
        if t.reasons or (t.end > t.start and inside >= 0.5 * (t.end - t.start)):
            by_seg.setdefault(t.seg, []).append(t)
    for i, masked in by_seg.items():
        masked.sort(key=lambda t: t.a)
        groups: list[list[Token]] = []
        for t in masked:
            if groups and not texts[i][groups[-1][-1].b : t.a].strip(" ,，.。、-—"):
                groups[-1].append(t)
            else:
                groups.append([t])
        plans[i].spans = [(g[0].a, g[-1].b, _kind(texts[i][g[0].a : g[-1].b], g)) for g in groups]
        out, pos = [], 0
        for a, b, kind in plans[i].spans:
            out += [texts[i][pos:a], mask_label(kind, language)]
            pos = b
        out.append(texts[i][pos:])
        plans[i].redacted = "".join(out)
    return plans


def _kind(text: str, group: list[Token]) -> str:
    if any(t.email or t.letter for t in group) and not any(t.weight for t in group):
        return "email"
    found = find_sensitive(text)
    return found[0].kind if found else "digits"


def _merge_with_reasons(
    spans: dict[str, list[tuple[float, float]]], *, pad_s: float, duration_s: float
) -> list[tuple[float, float, str]]:
    merged = merge_spans([s for v in spans.values() for s in v], pad_s=pad_s, duration_s=duration_s)
    out = []
    for a, b in merged:
        share = {r: sum(_overlap(a, b, max(0.0, x - pad_s), y + pad_s) for x, y in v) for r, v in spans.items()}
        reason = max(REASONS, key=lambda r: share[r])
        out.append((round(a, 3), round(b, 3), reason))
    return out


__all__ = ["REASONS", "DeidPlan", "SegmentPlan", "Word", "plan_listening_copy", "classify", "lexicon"]
