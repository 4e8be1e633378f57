"""Call QA rules applied to one call: turns + audio facts + rules -> hits and an explainable score.

Pure (no Django). Phrase matching tolerates recognition errors:
- Chinese: toneless pinyin with fuzzy initials/finals (zh/z, ch/c, sh/s, n/l, in/ing, en/eng,
  an/ang), then rapidfuzz's partial ratio of the phrase against each utterance (the best-aligned
  window of the utterance), so 本次通话将被录音 heard as 本次通话将被路印 still matches;
- English: snowball-stemmed words, then the same partial ratio.
Short phrases (< 4 syllables / words) must match exactly after that normalisation: a fuzzy
match of two syllables would fire on unrelated speech.

Required phrases are checked in the agent's speech; on a mono call (speaker "unknown") they are
checked in all speech and the result says so. Forbidden phrases are the agent's (a customer
repeating "稳赚" is not the agent's fault) and not counted when negated just before
("不能保本保息", "we cannot guarantee").

The score starts at 100; each rule with at least one live (not overturned) hit costs its weight
once; the score never goes below 0. Emotion: customer complaint vocabulary (the phrase rules of
``recordings.complaint_cues``, reused) plus audio cues, each contribution listed with its points.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from recordings import complaint_cues

from .facts import AudioFacts, Cue, Interval, Speaker, Turn

REQUIRED = "required_phrase"
FORBIDDEN = "forbidden_phrase"
SILENCE = "long_silence"
HOLD = "hold"
OVERTALK = "overtalk"
TALK_RATIO = "talk_ratio"
RATE = "speaking_rate"
KINDS = (REQUIRED, FORBIDDEN, SILENCE, HOLD, OVERTALK, TALK_RATIO, RATE)
PHRASE_KINDS = (REQUIRED, FORBIDDEN)

# Defaults of each kind's parameters (a rule's ``params`` override them).
DEFAULT_PARAMS: dict[str, dict] = {
    REQUIRED: {"min_similarity": 85, "within_first_s": None, "within_last_s": None},
    FORBIDDEN: {"min_similarity": 88},
    SILENCE: {"max_s": 10.0},
    HOLD: {"max_s": 60.0, "announce_within_s": 10.0, "phrases": {"zh": ["请稍等", "请稍候"], "en": ["please hold"]}},
    OVERTALK: {"min_s": 2.0},
    TALK_RATIO: {"min": 0.25, "max": 0.75},
    RATE: {"max_zh_cpm": 320, "max_en_wpm": 190, "min_turn_s": 3.0},
}
SHORT_PHRASE = 4  # syllables / words below this must match exactly (after normalisation)
MERGE_GAP_S = 1.5  # consecutive turns of one speaker closer than this are one utterance
NEGATIONS_ZH = ("不能", "不会", "无法", "不可能", "没有", "不得", "不可以", "不保证", "不承诺", "并非", "不是")
NEGATIONS_EN = ("not", "never", "cannot", "can't", "cant", "won't", "no")


@dataclass(frozen=True)
class RuleSpec:
    """One rule version as the matcher sees it."""

    version_id: int
    key: str
    kind: str
    weight: int
    name: str = ""
    phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # language -> phrases
    params: dict = field(default_factory=dict)

    def param(self, name: str):
        value = self.params.get(name)
        return DEFAULT_PARAMS.get(self.kind, {}).get(name) if value is None else value


@dataclass(frozen=True)
class Hit:
    rule: str  # the rule's key
    version_id: int
    kind: str
    weight: int
    speaker: Speaker | str
    second: float | None  # where in the audio (None: about the whole call, e.g. a phrase never said)
    end: float | None
    text: str  # what was heard (the matched words), or "" for a measurement
    detail: str  # why, in plain words with the numbers (English, for logs and the bench)
    why: tuple = ()  # (code, values) from which a page says the same in the user's language


@dataclass(frozen=True)
class Contribution:
    source: str  # "words" or "audio"
    label: str
    points: int
    second: float | None
    evidence: str
    key: str = ""  # the complaint-cue rule (words) or the cue kind (audio)


@dataclass
class Result:
    hits: list[Hit]
    score: int
    speakers_known: bool
    notes: list[str]
    emotion: int
    emotion_parts: list[Contribution]
    complaint_cue_score: int  # the complaint-cue score of the customer's words (complaint_cues)


def score_of(hits: Iterable[Hit | tuple[str, int]]) -> int:
    """100 minus each rule's weight once (a rule with several live hits costs its weight once)."""
    weights: dict[str, int] = {}
    for h in hits:
        key, weight = (h.rule, h.weight) if isinstance(h, Hit) else h
        weights[key] = max(weight, weights.get(key, 0))
    return max(0, 100 - sum(weights.values()))


# --- text normalisation --------------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z0-9']+")
_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"))
_FUZZY_FINALS = (("ing", "in"), ("eng", "en"), ("ang", "an"))


def _fuzzy_syllable(s: str) -> str:
    for a, b in _FUZZY_INITIALS:
        if s.startswith(a):
            s = b + s[len(a) :]
            break
    if s.startswith("n") and not s.startswith("ng"):
        s = "l" + s[1:]
    for a, b in _FUZZY_FINALS:
        if s.endswith(a):
            s = s[: -len(a)] + b
            break
    return s


def _pinyin(run: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    out = lazy_pinyin(run, style=Style.NORMAL, errors="ignore")
    if len(out) != len(run):  # a character pypinyin does not know: one at a time
        out = [(lazy_pinyin(ch, style=Style.NORMAL, errors="ignore") or [ch])[0] for ch in run]
    return out


def _stem(words: list[str]) -> list[str]:
    if not _STEMMERS:
        import snowballstemmer

        _STEMMERS.append(snowballstemmer.stemmer("english"))  # one per process: building it is not free
    return _STEMMERS[0].stemWords(words)


_STEMMERS: list = []


@dataclass(frozen=True)
class _Token:
    zh: str  # fuzzy pinyin (a Han character) or the lower-cased word
    en: str  # the stemmed word ("" for a Han character)
    start: float
    end: float
    i0: int  # character span in the utterance's text
    i1: int


@dataclass
class _Utterance:
    speaker: str
    start: float
    end: float
    text: str
    tokens: list[_Token]
    zh: str = ""
    en: str = ""
    zh_offsets: list[int] = field(default_factory=list)  # token index -> offset in zh
    en_offsets: list[tuple[int, int]] = field(default_factory=list)  # (offset in en, token index)


def _chars_with_times(turn: Turn) -> list[tuple[str, float, float]]:
    if turn.words:
        return [(ch, w.start, w.end) for w in turn.words for ch in w.text]
    text = turn.text
    n = max(1, len(text))
    span = max(0.0, turn.end - turn.start)
    return [(ch, turn.start + span * i / n, turn.start + span * (i + 1) / n) for i, ch in enumerate(text)]


def _utterances(turns: Sequence[Turn]) -> list[_Utterance]:
    merged: list[tuple[str, list[Turn]]] = []
    for turn in sorted(turns, key=lambda t: t.start):
        if merged and merged[-1][0] == turn.speaker and turn.start - merged[-1][1][-1].end <= MERGE_GAP_S:
            merged[-1][1].append(turn)
        else:
            merged.append((turn.speaker, [turn]))
    out = []
    for speaker, group in merged:
        chars = [c for t in group for c in _chars_with_times(t)]
        out.append(_tokenise(speaker, group[0].start, group[-1].end, chars))
    return out


def _tokenise(speaker: str, start: float, end: float, chars: list[tuple[str, float, float]]) -> _Utterance:
    text = "".join(c for c, _, _ in chars)
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        if _CJK.match(text[i]):
            j = i
            while j < len(text) and _CJK.match(text[j]):
                j += 1
            for k, syl in enumerate(_pinyin(text[i:j])):
                p = i + k
                tokens.append(_Token(_fuzzy_syllable(syl), "", chars[p][1], chars[p][2], p, p + 1))
            i = j
            continue
        m = _LATIN.match(text, i)
        if m:
            word = m.group(0).lower()
            tokens.append(_Token(word, word, chars[i][1], chars[m.end() - 1][2], i, m.end()))
            i = m.end()
            continue
        i += 1
    stems = _stem([t.en for t in tokens if t.en]) if any(t.en for t in tokens) else []
    it = iter(stems)
    tokens = [_Token(t.zh, next(it), t.start, t.end, t.i0, t.i1) if t.en else t for t in tokens]
    u = _Utterance(speaker, start, end, text, tokens)
    parts, offset = [], 0
    for t in tokens:
        u.zh_offsets.append(offset)
        parts.append(t.zh)
        offset += len(t.zh) + 1
    u.zh = " ".join(parts)
    parts, offset = [], 0
    for idx, t in enumerate(tokens):
        if t.en:
            u.en_offsets.append((offset, idx))
            parts.append(t.en)
            offset += len(t.en) + 1
    u.en = " ".join(parts)
    return u


@lru_cache(maxsize=4096)
def normalise_phrase(phrase: str, language: str) -> tuple[str, int]:
    """(normalised form, its length in syllables / words)."""
    u = _tokenise("", 0.0, 0.0, [(ch, 0.0, 0.0) for ch in phrase])
    units = [t.zh for t in u.tokens] if language == "zh" else [t.en for t in u.tokens if t.en]
    return " ".join(units), len(units)


@dataclass(frozen=True)
class PhraseMatch:
    phrase: str
    similarity: float
    start: float
    end: float
    text: str
    i0: int  # character span in the utterance
    i1: int


def find_phrase(utterance: _Utterance, phrase: str, language: str, min_similarity: float) -> PhraseMatch | None:
    """The best place ``phrase`` was said in the utterance, if it is similar enough."""
    from rapidfuzz import fuzz

    norm, units = normalise_phrase(phrase, language)
    hay = utterance.zh if language == "zh" else utterance.en
    if not norm or not hay:
        return None
    cutoff = 100.0 if units < SHORT_PHRASE else float(min_similarity)
    # Padded with a space each side: a phrase aligns on whole syllables / words, not inside one.
    al = fuzz.partial_ratio_alignment(f" {norm} ", f" {hay} ", score_cutoff=cutoff - 1e-9)
    if al is None or al.score < cutoff:
        return None
    dest_start, dest_end = al.dest_start - 1, al.dest_end - 1
    if language == "zh":
        idx = [k for k, off in enumerate(utterance.zh_offsets) if dest_start <= off + len(utterance.tokens[k].zh) - 1]
        idx = [k for k in idx if utterance.zh_offsets[k] < dest_end]
    else:
        idx = [
            k for off, k in utterance.en_offsets if off < dest_end and off + len(utterance.tokens[k].en) > dest_start
        ]
    if not idx:
        return None
    a, b = utterance.tokens[idx[0]], utterance.tokens[idx[-1]]
    return PhraseMatch(phrase, round(al.score, 1), a.start, b.end, utterance.text[a.i0 : b.i1], a.i0, b.i1)


_CLAUSE_END = re.compile(r"[，,。.！!？?；;：:]")


def _negated(utterance: _Utterance, match: PhraseMatch) -> bool:
    """A negation just before the phrase in the same clause: "不能保本保息", "we cannot guarantee
    returns"; not one that ends before a comma or full stop ("Do not worry, this fund is a sure
    win", "不用担心，保本保息" are promises)."""
    before = utterance.text[max(0, match.i0 - 30) : match.i0]
    before = _CLAUSE_END.split(before)[-1]
    zh = before[-8:]
    if zh.endswith(("不", "没", "未", "别", "勿")) or any(n in zh for n in NEGATIONS_ZH):
        return True
    words = re.findall(r"[a-z']+", before.lower())[-4:]
    return any(w in NEGATIONS_EN or w.endswith("n't") for w in words)


# --- the rules -----------------------------------------------------------------------


def facts_from_turns(turns: Sequence[Turn], *, duration: float, stereo: bool, min_silence_s: float = 2.0) -> AudioFacts:
    """Audio facts read off the transcript's times, for a call the audio analysis has not
    measured: voiced stretches = the turns, silences = gaps between any speech, over-talk = where
    an agent turn and a customer turn overlap (known only for a stereo call)."""
    speech: dict[str, list[Interval]] = {}
    for t in turns:
        speech.setdefault(t.speaker, []).append(Interval(t.start, t.end))
    spans = sorted((t.start, t.end) for t in turns)
    silences, reach = [], None
    for a, b in spans:
        if reach is not None and a - reach >= min_silence_s:
            silences.append(Interval(reach, a))
        reach = b if reach is None else max(reach, b)
    overtalk = []
    if stereo:
        for x in speech.get("agent", []):
            for y in speech.get("customer", []):
                a, b = max(x.start, y.start), min(x.end, y.end)
                if b > a:
                    overtalk.append(Interval(a, b))
    return AudioFacts(
        duration=duration,
        stereo=stereo,
        speech={k: tuple(v) for k, v in speech.items()},
        silences=tuple(silences),
        overtalk=tuple(sorted(overtalk, key=lambda i: i.start)),
        overtalk_known=stereo,
    )


def evaluate(turns: Sequence[Turn], facts: AudioFacts, rules: Sequence[RuleSpec]) -> Result:
    utterances = _utterances(turns)
    speakers_known = any(u.speaker in ("agent", "customer") for u in utterances) or facts.stereo
    notes: list[str] = []
    if not speakers_known:
        notes.append("mono")  # one speaker: phrase rules read all speech, talk ratio and over-talk not measured
    agent_side = "agent" if speakers_known else "unknown"
    agent_utts = [u for u in utterances if u.speaker == agent_side]
    hits: list[Hit] = []
    for rule in rules:
        fn = _EVALUATORS.get(rule.kind)
        if fn is not None:
            hits.extend(fn(rule, agent_utts, facts, speakers_known, notes))
    customer = "customer" if speakers_known else "unknown"
    said = [(t.start, t.text) for t in sorted(turns, key=lambda t: t.start) if t.speaker == customer]
    emotion, parts, cue_score = emotion_of(said, facts.cues)
    return Result(hits, score_of(hits), speakers_known, sorted(set(notes)), emotion, parts, cue_score)


def _phrases(rule: RuleSpec) -> list[tuple[str, str]]:
    return [
        (lang, p) for lang, ps in sorted(rule.phrases.items(), key=lambda kv: kv[0] != "zh") for p in ps if p.strip()
    ]


def _required(rule, utts, facts, speakers_known, notes) -> list[Hit]:
    first, last = rule.param("within_first_s"), rule.param("within_last_s")
    for u in utts:
        for lang, phrase in _phrases(rule):
            m = find_phrase(u, phrase, lang, rule.param("min_similarity"))
            if m is None:
                continue
            if first is not None and m.start > float(first):
                continue
            if last is not None and m.end < facts.duration - float(last):
                continue
            return []
    where = ""
    if first is not None:
        where = f" (first {float(first):g} s)"
    elif last is not None:
        where = f" (last {float(last):g} s)"
    speaker = "agent" if speakers_known else "unknown"
    said = " / ".join(p for _, p in _phrases(rule))[:200]
    detail = f"required phrase not said{where}: " + said
    why = ("missing", {"phrases": said, "first": first, "last": last})
    return [Hit(rule.key, rule.version_id, rule.kind, rule.weight, speaker, None, None, "", detail, why)]


def _forbidden(rule, utts, facts, speakers_known, notes) -> list[Hit]:
    hits = []
    for u in utts:
        for lang, phrase in _phrases(rule):
            m = find_phrase(u, phrase, lang, rule.param("min_similarity"))
            if m is None or _negated(u, m):
                continue
            detail = f"forbidden phrase “{phrase}” (similarity {m.similarity:g})"
            why = ("forbidden", {"phrase": phrase, "similarity": m.similarity})
            hits.append(
                Hit(rule.key, rule.version_id, rule.kind, rule.weight, u.speaker, m.start, m.end, m.text, detail, why)
            )
            break  # one hit per utterance and rule
    return hits


def _announced_holds(rule_or_params, utts, facts) -> list[tuple[Interval, str]]:
    params = rule_or_params if isinstance(rule_or_params, dict) else {}
    phrases = params.get("phrases") or DEFAULT_PARAMS[HOLD]["phrases"]
    within = float(params.get("announce_within_s") or DEFAULT_PARAMS[HOLD]["announce_within_s"])
    found = []
    for s in facts.silences:
        for u in utts:
            if not (s.start - within <= u.end <= s.start + 0.5):
                continue
            m = next(
                (m for lang, ps in phrases.items() for p in ps if (m := find_phrase(u, p, lang, 90)) is not None), None
            )
            if m is not None:
                found.append((s, m.text))
                break
    return found


_INTERVAL_DETAIL = {"silence": "silence", "hold": "hold", "overtalk": "both speak"}


def _interval_hits(
    rule, code: str, spans: Iterable[tuple[Interval, str]], limit: float, speaker: str = ""
) -> list[Hit]:
    """One hit per (interval, text) of a silence, hold or over-talk rule, with its length and limit."""
    return [
        Hit(
            rule.key,
            rule.version_id,
            rule.kind,
            rule.weight,
            speaker,
            s.start,
            s.end,
            text,
            f"{_INTERVAL_DETAIL[code]} {s.seconds:.1f} s (limit {limit:g} s)",
            (code, {"seconds": round(s.seconds, 1), "limit": limit}),
        )
        for s, text in spans
    ]


def _silence(rule, utts, facts, speakers_known, notes) -> list[Hit]:
    holds = {s for s, _ in _announced_holds({}, utts, facts)}
    limit = float(rule.param("max_s"))
    return _interval_hits(
        rule, "silence", ((s, "") for s in facts.silences if s.seconds > limit and s not in holds), limit
    )


def _hold(rule, utts, facts, speakers_known, notes) -> list[Hit]:
    params = {**DEFAULT_PARAMS[HOLD], **{k: v for k, v in rule.params.items() if v is not None}}
    limit = float(params["max_s"])
    holds = ((s, text) for s, text in _announced_holds(params, utts, facts) if s.seconds > limit)
    return _interval_hits(rule, "hold", holds, limit, "agent" if speakers_known else "unknown")


def _overtalk(rule, utts, facts, speakers_known, notes) -> list[Hit]:
    if not facts.overtalk_known:
        notes.append("overtalk_unknown")
        return []
    limit = float(rule.param("min_s"))
    return _interval_hits(rule, "overtalk", ((s, "") for s in facts.overtalk if s.seconds >= limit), limit)


def _talk_ratio(rule, utts, facts, speakers_known, notes) -> list[Hit]:
    agent, customer = facts.talk_seconds("agent"), facts.talk_seconds("customer")
    if not speakers_known or agent + customer <= 0:
        notes.append("talk_ratio_unknown")
        return []
    ratio = agent / (agent + customer)
    lo, hi = float(rule.param("min")), float(rule.param("max"))
    if lo <= ratio <= hi:
        return []
    detail = f"agent talk ratio {ratio:.0%} (allowed {lo:.0%}–{hi:.0%})"
    why = ("ratio", {"ratio": round(ratio, 3), "min": lo, "max": hi})
    return [Hit(rule.key, rule.version_id, rule.kind, rule.weight, "agent", None, None, "", detail, why)]


def _rate(rule, utts, facts, speakers_known, notes) -> list[Hit]:
    """Each agent utterance of at least ``min_turn_s`` spoken faster than the limit (characters per
    minute for Chinese, words per minute for English)."""
    min_turn = float(rule.param("min_turn_s"))
    hits = []
    for u in utts:
        seconds = max(0.0, u.end - u.start)
        if seconds < min_turn:
            continue
        han = sum(1 for t in u.tokens if not t.en)
        words = sum(1 for t in u.tokens if t.en)
        if han >= words:
            per_min, limit, unit = 60 * han / seconds, float(rule.param("max_zh_cpm")), "characters/min"
        else:
            per_min, limit, unit = 60 * words / seconds, float(rule.param("max_en_wpm")), "words/min"
        if per_min > limit:
            detail = f"speaking rate {per_min:.0f} {unit} (limit {limit:g})"
            why = ("rate_zh" if han >= words else "rate_en", {"rate": round(per_min), "limit": limit})
            hits.append(
                Hit(
                    rule.key,
                    rule.version_id,
                    rule.kind,
                    rule.weight,
                    u.speaker,
                    u.start,
                    u.end,
                    u.text[:80],
                    detail,
                    why,
                )
            )
    return hits


_EVALUATORS = {
    REQUIRED: _required,
    FORBIDDEN: _forbidden,
    SILENCE: _silence,
    HOLD: _hold,
    OVERTALK: _overtalk,
    TALK_RATIO: _talk_ratio,
    RATE: _rate,
}


# --- customer emotion ----------------------------------------------------------------

WORD_POINTS = 10  # per complaint-cue weight point (complaint_cues: 投诉 = 3 -> 30 points)
# Audio cues: (minimum value to count, points per unit, cap) per kind.
AUDIO_POINTS: dict[str, tuple[float, float, int]] = {
    "loudness_rise": (3.0, 2.0, 20),  # dB above the caller's own start
    "pitch_rise": (2.0, 3.0, 20),  # semitones above the caller's own start
    "interruption": (0.0, 5.0, 15),  # per interruption, capped over the call
}
STRONG_EMOTION = 50


def emotion_of(said: Sequence[tuple[float, str]], cues: Iterable[Cue]) -> tuple[int, list[Contribution], int]:
    """(0-100 emotion score, each contribution, the complaint-cue score of the customer's words).
    ``said``: the customer's turns as (start second, text)."""
    cue_score, cue_hits = complaint_cues.scan(list(said))
    parts: list[Contribution] = []
    seen = set()
    for h in cue_hits:
        if h.rule in seen:
            continue
        seen.add(h.rule)
        parts.append(Contribution("words", h.reason_zh, h.weight * WORD_POINTS, h.start_s, h.phrase, h.rule))
    totals: dict[str, float] = {}
    for cue in cues:
        spec = AUDIO_POINTS.get(cue.kind)
        if spec is None or cue.speaker not in ("customer", "unknown") or cue.value < spec[0]:
            continue
        points = spec[1] if cue.kind == "interruption" else cue.value * spec[1]
        points = min(points, spec[2] - totals.get(cue.kind, 0))
        if points <= 0:
            continue
        totals[cue.kind] = totals.get(cue.kind, 0) + points
        parts.append(Contribution("audio", cue.kind, round(points), cue.start, f"{cue.value:g}", cue.kind))
    return min(100, sum(p.points for p in parts)), parts, cue_score


def is_strong(emotion: int, cue_score: int) -> bool:
    """Strong complaint cues: the customer's words reach the suspected-complaint threshold, or
    words and audio together reach ``STRONG_EMOTION``."""
    return complaint_cues.is_suspected(cue_score) or emotion >= STRONG_EMOTION
