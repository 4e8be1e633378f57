"""Cue windows of the listening-copy planner (``recordings.deid``, layer 2): after a cue word
(card, phone, ID, e-mail, 卡号, 手机, 邮箱 ...) the number or address it names is muted until
confident plain words resume; after a repeat or correction cue ("I repeat", 不对) the number muted
just before is muted again for as long as it lasted. Pure; marks ``Token.reasons`` ("cue") and
returns the windows."""

from __future__ import annotations

from collections.abc import Sequence

from .deid_layers import _overlap
from .deid_words import (
    _CJK,
    _PUNCT,
    _SENTENCE_END,
    CUE_HORIZON_S,
    CUE_RESUME_CHARS,
    CUE_RESUME_WORDS,
    EMAIL_PAUSE_S,
    REPEAT_LOOKBACK_S,
    REPEAT_SLACK_S,
    RUN_GAP_S,
    UNCOVERED_MIN_S,
    Token,
)


def _restarts(t: Token) -> bool:
    """A repeat word ("I repeat", "again", 再说一遍) or a garbled token ("-3O", "-I,": the
    recogniser's mark of speech it could not read, often digits): the number may come (again)
    right after it, so the run of plain words that would end a cue window starts again."""
    return t.repeat_cue or t.text.lstrip().startswith("-")


def _window_start(cue: Token, lead_s: float, end: float) -> float:
    """Where a window after ``cue`` starts, such that padding it by ``lead_s`` lands on the cue's
    end: a cue recognised with confidence is that word, heard whole (the padding exists for word
    times that drift; the number after it has its own padded span when it is recognised). A
    doubtful cue keeps the padding: it may be the number's first digit."""
    return min(cue.end + lead_s, end) if cue.confident else cue.end


def _cue_windows(
    tokens: list[Token], duration_s: float, lead_s: float = 0.0, speech: Sequence[tuple[float, float]] = ()
) -> list[tuple[float, float]]:
    """Layer 2: after a cue, mute until confident plain words resume (or the horizon). Once a
    muted number has been heard after the cue, the first confident plain word (not a near-miss)
    after it ends the window; before that, it takes CUE_RESUME_WORDS / CUE_RESUME_CHARS.
    After an e-mail cue (also "address" right after "email"), words that can be the address's
    spoken parts never end it; once one was heard, the first confident plain word after a pause
    of EMAIL_PAUSE_S does (see EMAIL_PAUSE_S). Only content words end it (fail closed): a word
    that restates the number or a single letter (``Token.hold``: "I mean", "a", 就是) counts for
    nothing, and a repeat word or a garbled token ("I repeat", "-I,") starts the count again
    (``_restarts``). ``lead_s``: see ``_window_start``. A window after a doubtful cue (it may be
    the number's first digits, misheard) reaches at least to the end of the voice-activity region
    (``speech``) it ends in: the words that ended it are as doubtful a vouch as the cue."""
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
            if t.confident and not (t.reasons or t.weight or t.letter or t.email) and _restarts(t):
                plain_words = plain_chars = 0
                resume_at = None
                continue
            if t.hold and t.confident and not (t.reasons or t.weight or t.letter or t.email):
                # "I", "a", "I mean", "that", 就是: no content word; it neither ends the window nor
                # starts or counts in the run of plain words that does (it does not interrupt it)
                continue
            if t.confident and not (t.reasons or t.weight or t.letter or t.email):
                # a plain content word
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
        if not cue.confident:
            end = max([end] + [min(b, duration_s) for a, b in speech if a < end < b])
        # tokens are sorted by start: a word lies inside the window iff the next one starts in it
        word_inside = i + 1 < len(tokens) and tokens[i + 1].start < end
        if end > cue.end and (word_inside or end - cue.end >= UNCOVERED_MIN_S):
            windows.append((_window_start(cue, lead_s, end), end))
            for t in tokens[i + 1 :]:
                if t.start >= end:
                    break
                if _overlap(t.start, t.end, cue.end, end) >= 0.5 * max(t.end - t.start, 1e-3):
                    t.reasons.add("cue")
    return windows


def _repeat_windows(tokens: list[Token], lead_s: float = 0.0) -> list[tuple[float, float]]:
    """Layer 2b: after a repeat or correction cue, the number muted just before is said again;
    mute as long as that number lasted (confident words do not end this window). ``lead_s``: see
    ``_window_start``."""
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
        windows.append((_window_start(cue, lead_s, end), end))
    return windows
