"""De-identification benchmark (issue 10 "De-identification that fails closed"): not a test.

    .venv/bin/python bench/redaction.py --calls 60 --engines faster-whisper,openai-whisper \\
        --methods baseline,new --seed 1 [--limit N] [--jobs 2]

Material: bench/deid_corpus.py — synthetic calls with exact PII timing (espeak-ng English and
Mandarin pinyin voices, 8 kHz telephone band, G.711 μ-law/A-law, MP3, OGG, noise at 10-20 dB SNR),
cached under var/bench/deid/seed<N>/.

Per call and engine: the uploaded file is decoded with ``decode_to_wav16k`` (the "original"),
transcribed with ``recordings.pipeline.transcribe_audio`` (cached per call × engine × model, so a
new method does not re-transcribe the originals), and each METHOD plans the listening copy:

- ``baseline``: today's ``plan_redaction`` (frozen copy: bench/baseline_redaction.py);
- ``new``: ``recordings.deid.plan_listening_copy(segments, speech=..., language=..., duration_s=...,
  pad_s=settings.RECORDING_MUTE_PAD_S)`` (issue 10; until it exists the method is skipped with
  the reason printed);
- ``new@REV``: the same planner as committed at git revision REV (bench/redaction_planners.py), so
  one run compares today's product with a planner change on the same transcripts.

The listening copy is rendered with ``render_redacted`` and measured against the original:

- PII windows still audible: every 100 ms window inside a true PII span whose clean speech is not
  silent (clean-track RMS ≥ -30 dB of the call's speech level; the others are counted as skipped),
  audible = Pearson correlation of listening copy and original > 0.5. Target 0.
- PII strings recovered: the listening copy re-transcribed with the same engine; digits normalised
  (digit words, Chinese numerals with 幺/两, "double", two-digit words), a string counts as
  recovered if any 4-digit substring of it (a CVV: its 3 digits as a short run; an e-mail: its
  local part) appears. Target 0.
- Harmless speech muted: seconds of true harmless speech the copy replaced / all harmless speech.
  Target ≤ 15 %.
- Text leaks: the same matcher over the redacted transcript text. Target 0.
- Status (ok / needs review / failed) and time per call. "As shipped" figures count only calls
  whose status is ok (a call held for review offers no listening copy); false-safe = status ok but
  something leaked; false alarm = held for review although the copy leaked nothing.

Writes bench/results/redaction-<date>.md and bench/results/deid-near-misses.json (what the
engines wrote for spoken digits, aligned to the truth).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import multiprocessing
import os
import pickle
import platform
import re
import resource
import subprocess
import sys
import time
import traceback
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.deid_corpus import Call, Span, build_corpus, call_from_json, read_wav, summarise  # noqa: E402

WINDOW_S = 0.1
AUDIBLE_CORR = 0.5
SILENT_DB = -30.0  # clean-speech RMS below this (relative to the call's speech level) = silent window
MUTED_FRAME_S = 0.01
HARMLESS_TARGET = 0.15
ALL_METHODS = ("baseline", "new")

# Decoding settings to compare (``--decode NAME`` or ``--decode NAME='{"beam_size": 8}'``), as
# overrides of recordings.speech.engines.DECODE_DEFAULTS. "today" is what the product runs
# (settings.TRANSCRIPTION_DECODE). The prompts are given before every 30 s window.
_PROMPT_DIGITS = {
    "zh": "客户来电投诉信用卡扣款。我的卡号是6222 0212 3456 7890，手机号是139 1234 5678，身份证号是110101 19900307 1234。",
    "en": "A customer calls the bank about a credit card charge. My card number is 6222 0212 3456 7890 "
    "and my phone number is 139 1234 5678.",
}
_PROMPT_WORDS = {
    "zh": "客户来电投诉：信用卡、卡号、账号、手机号、身份证号、验证码、邮箱、年费、扣款、退款。",
    "en": "A customer calls the bank about a complaint: credit card, card number, account number, phone number, "
    "ID number, CVV, email, annual fee, refund.",
}
DECODE_PRESETS: dict[str, dict] = {
    "today": {},  # replaced by settings.TRANSCRIPTION_DECODE at start-up
    "prompt_digits": {"prompt": _PROMPT_DIGITS},
    "prompt_words": {"prompt": _PROMPT_WORDS},
    "no_window_skip": {"no_speech_threshold": None},
    "short_clips": {"clip_merge_gap_s": 1.0, "vad_min_silence_ms": 500, "vad_speech_pad_ms": 200},
    "fallback": {"temperature": [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]},
    "rep_penalty": {"repetition_penalty": 1.1},
    "beam_patience": {"beam_size": 8, "patience": 2.0},
    "trim_loops": {"loop_segments": "trim"},
    "prompt_digits_trim": {"prompt": _PROMPT_DIGITS, "loop_segments": "trim"},
    # Since follow-up d, "resume" marks the words in or near a looped stretch ``near_loop`` and
    # recordings.deid takes them as cover only in a run of confident plain words: the fail-closed
    # resume. Results -c measured "resume_loops" before that mark.
    "resume_loops": {"loop_segments": "resume"},
    "resume_failclosed": {"loop_segments": "resume"},
    "resume_after_pause": {"loop_segments": "resume", "loop_resume_pause_s": 1.0},
}


class MethodUnavailable(RuntimeError):
    """The method's code does not exist (yet) in this checkout."""


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voc.settings")
    import django

    django.setup()


def _init_worker() -> None:
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"
    _setup_django()


# --------------------------------------------------------------------------- digit matching

_CN_DIGITS = {c: str(i) for i, c in enumerate("零一二三四五六七八九")} | {"〇": "0", "幺": "1", "两": "2"}
_CN_DIGITS |= {c: str(i) for i, c in enumerate("０１２３４５６７８９")}
_EN_UNITS = {w: str(i) for i, w in enumerate(re.findall(r"\w+", "zero one two three four five six seven eight nine"))}
_EN_UNITS |= {"oh": "0", "o": "0", "nought": "0"}
_TEEN_WORDS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen"
_EN_TEENS = {w: str(10 + i) for i, w in enumerate(re.findall(r"\w+", _TEEN_WORDS))}
_EN_TENS = {
    w: str(i + 2) for i, w in enumerate(re.findall(r"\w+", "twenty thirty forty fifty sixty seventy eighty ninety"))
}
_REPEAT = {"double": 2, "triple": 3}
_X_WORDS = {"x", "ex", "叉"}
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)*|\d|[\u3400-\u9fff]|[^\sa-z\d\u3400-\u9fff]", re.IGNORECASE)


def digit_units(text: str) -> list[tuple[str | None, str]]:
    """Tokens of ``text`` as (digits or None, token). Digit words, two-digit words ("sixty two"
    → 62), "double five" → 55, Chinese numerals (幺 = 1, 两 = 2) become digits; punctuation is
    returned as ("", token) (it does not break a spoken number); other words as (None, token)."""
    toks = _TOKEN.findall(text)
    out: list[tuple[str | None, str]] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        low = t.lower()
        if t.isdigit() and len(t) == 1 and t.isascii():
            out.append((t, t))
        elif t in _CN_DIGITS:
            out.append((_CN_DIGITS[t], t))
        elif low in _EN_UNITS:
            out.append((_EN_UNITS[low], t))
        elif low in _EN_TEENS:
            out.append((_EN_TEENS[low], t))
        elif low in _EN_TENS:
            nxt = [j for j in range(i + 1, min(i + 3, len(toks))) if toks[j] not in ("-", "‐")]
            if nxt and toks[nxt[0]].lower() in _EN_UNITS and toks[nxt[0]].lower() not in ("oh", "o", "zero", "nought"):
                out.append((_EN_TENS[low] + _EN_UNITS[toks[nxt[0]].lower()], f"{t}-{toks[nxt[0]]}"))
                i = nxt[0]
            else:
                out.append((_EN_TENS[low] + "0", t))
        elif low in _REPEAT and i + 1 < len(toks) and toks[i + 1].lower() in _EN_UNITS:
            out.append((_EN_UNITS[toks[i + 1].lower()] * _REPEAT[low], f"{t} {toks[i + 1]}"))
            i += 1
        elif low in _X_WORDS:
            out.append(("X", t))
        elif not re.match(r"[a-z\d\u3400-\u9fff]", t, re.IGNORECASE):
            out.append(("", t))
        else:
            out.append((None, t))
        i += 1
    return out


def digit_runs(text: str) -> list[str]:
    """Spoken/written numbers in ``text`` as digit strings (punctuation and spaces inside a
    number are ignored; any other word ends it)."""
    runs, cur = [], ""
    for digits, _tok in digit_units(text):
        if digits is None:
            if cur:
                runs.append(cur)
            cur = ""
        else:
            cur += digits
    if cur:
        runs.append(cur)
    return runs


def _alnum(text: str) -> str:
    """Lowercase letters and digits of ``text`` with digit words read as digits and the
    words dot/underscore/at dropped (for e-mail local parts)."""
    words = []
    for digits, tok in digit_units(text):
        if tok.lower() in ("dot", "underscore", "at"):
            continue
        words.append(digits if digits else tok.lower() if digits is None else "")
    return re.sub(r"[^a-z0-9]", "", "".join(words))


def found_in(truth: str, kind: str, text: str) -> str:
    """The piece of ``truth`` that ``text`` gives away ("" when none): any 4-digit substring of
    a number, the 3 digits of a CVV as a short run, or an e-mail's local part."""
    if kind == "email":
        local = re.sub(r"[^a-z0-9]", "", truth.lower())
        return local if len(local) >= 3 and local in _alnum(text) else ""
    runs = digit_runs(text)
    if kind == "cvv" or len(truth) < 4:
        return truth if any(truth in r for r in runs if len(r) <= 4) else ""
    best = ""
    grams = {truth[i : i + 4] for i in range(len(truth) - 3)}
    for r in runs:
        for i in range(len(r) - 3):
            if r[i : i + 4] in grams:
                # widen the match to the longest common stretch
                j = i + 4
                while j < len(r) and r[i : j + 1] in truth:
                    j += 1
                if j - i > len(best):
                    best = r[i:j]
    return best


# --------------------------------------------------------------------------- near misses

_PINYIN = {"ling2": "0", "yi1": "1", "yao1": "1", "er4": "2", "liang3": "2", "san1": "3", "si4": "4", "wu3": "5"}
_PINYIN |= {"liu4": "6", "qi1": "7", "ba1": "8", "jiu3": "9", "cha1": "X"}


def expected_units(span: Span) -> list[tuple[str, str]]:
    """(digit, what was said for it) for every character of the truth, from the spoken text."""
    out: list[tuple[str, str]] = []
    if span.lang == "zh":
        for syl in re.findall(r"[a-z]+\d", span.text):
            if syl in _PINYIN:
                out.append((_PINYIN[syl], syl))
    else:
        for digits, tok in digit_units(span.text.replace(",", " ")):
            if digits:
                out += [(d, tok.lower()) for d in digits]
    if "".join(d for d, _ in out) != span.truth:
        out = [(d, "?") for d in span.truth]
    return out


def align(expected: list[str], produced: list[str | None]) -> list[tuple[int | None, int | None]]:
    """Levenshtein alignment (index pairs; None = gap). A produced non-digit never matches."""
    n, m = len(expected), len(produced)
    cost = np.zeros((n + 1, m + 1), dtype=np.int32)
    cost[:, 0] = np.arange(n + 1)
    cost[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            sub = 0 if produced[j - 1] == expected[i - 1] else 1
            cost[i, j] = min(cost[i - 1, j - 1] + sub, cost[i - 1, j] + 1, cost[i, j - 1] + 1)
    pairs, i, j = [], n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and cost[i, j] == cost[i - 1, j - 1] + (0 if produced[j - 1] == expected[i - 1] else 1):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i > 0 and cost[i, j] == cost[i - 1, j] + 1:
            pairs.append((i - 1, None))
            i -= 1
        else:
            pairs.append((None, j - 1))
            j -= 1
    return pairs[::-1]


def near_misses(call: Call, transcript) -> list[dict]:
    """What the engine wrote for each spoken digit of every PII span (by word timestamps)."""
    words = [w for seg in transcript.segments for w in seg.words]
    out = []
    for span in call.pii:
        if span.kind == "email":
            continue
        exp = expected_units(span)
        inside = [w for w in words if span.start - 0.15 <= (w.start + w.end) / 2 <= span.end + 0.15]
        produced: list[tuple[str | None, str]] = []
        for w in inside:
            for digits, tok in digit_units(w.text):
                if digits == "":
                    continue
                if digits is None:
                    produced.append((None, tok))
                else:
                    produced += [(d, tok) for d in digits]
        for i, j in align([d for d, _ in exp], [d for d, _ in produced]):
            digit, said = exp[i] if i is not None else (None, None)
            got, heard = produced[j] if j is not None else (None, None)
            if i is None:
                kind = "inserted" if got is None else "inserted_digit"
            elif j is None:
                kind = "deleted"
            elif got == digit:
                kind = "ok"
            elif got is None:
                kind = "near_miss"
            else:
                kind = "wrong_digit"
            out.append({"kind": kind, "digit": digit, "said": said, "heard": heard, "got": got, "span": span.kind})
    return out


# --------------------------------------------------------------------------- methods


@dataclass
class MethodOutput:
    status: str  # ok / needs_review
    mute: list[tuple[float, float]]
    reasons: list[str]
    redacted: list[str]  # per segment
    problems: list[str] = field(default_factory=list)


def _lang(transcript) -> str:
    return "en" if (transcript.language or "").startswith("en") else "zh"


def method_baseline(transcript, *, duration_s: float, pad_s: float) -> MethodOutput:
    from bench.baseline_redaction import plan_redaction

    plan = plan_redaction(transcript.segments, language=_lang(transcript), pad_s=pad_s, duration_s=duration_s)
    # production: no segments → no copy yet; a plan that is not confident → no copy (redaction failed)
    status = "ok" if transcript.segments and plan.confident else "needs_review"
    problems = list(plan.problems) or ([] if transcript.segments else ["empty transcript"])
    return MethodOutput(
        status, list(plan.mute), ["finding"] * len(plan.mute), [p.redacted for p in plan.segments], problems
    )


def _new_plan_fn(method: str = "new"):
    from bench.redaction_planners import planner

    try:
        return planner(method)
    except ImportError as exc:
        raise MethodUnavailable(
            f"method {method!r} needs recordings.deid.plan_listening_copy (issue 10), not importable here: {exc}"
        ) from exc


def method_new(transcript, *, duration_s: float, pad_s: float, method: str = "new") -> MethodOutput:
    plan_listening_copy = _new_plan_fn(method)
    if not hasattr(transcript, "speech"):
        raise MethodUnavailable("method 'new' needs Transcript.speech, which recordings.pipeline does not provide")
    plan = plan_listening_copy(
        transcript.segments, speech=transcript.speech, language=_lang(transcript), duration_s=duration_s, pad_s=pad_s
    )
    mute, reasons = [], []
    for m in plan.mute:
        mute.append((float(m[0]), float(m[1])))
        reasons.append(str(m[2]) if len(m) > 2 else "")
    problems = list(getattr(plan, "review", None) or getattr(plan, "problems", None) or [])
    return MethodOutput(str(plan.status), mute, reasons, [s.redacted for s in plan.segments], problems)


METHOD_FNS = {"baseline": method_baseline, "new": method_new}


def method_fn(name: str):
    """The planning function of a method: baseline, new, or new@REV (the planner committed at
    REV, bench/redaction_planners.py: today's product next to a change, in one run)."""
    if name.startswith("new@"):
        return functools.partial(method_new, method=name)
    return METHOD_FNS[name]


def method_available(name: str) -> str:
    """ "" when the method can run here, else the reason."""
    if name == "new" or name.startswith("new@"):
        try:
            _new_plan_fn(name)
            from recordings.pipeline import Transcript

            if "speech" not in {f.name for f in fields(Transcript)}:
                return "recordings.pipeline.Transcript has no `speech` field yet"
        except MethodUnavailable as exc:
            return str(exc)
    return ""


# --------------------------------------------------------------------------- caching


def _model_tag(model: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "_", model).strip("_")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _transcript_key(audio: Path, engine: str, model: str, language: str, decode: dict | None = None) -> str:
    from recordings.pipeline import Transcript
    from recordings.redaction import SegmentText, Word
    from recordings.speech.engines import decode_options

    shape = [sorted(f.name for f in fields(c)) for c in (Transcript, SegmentText, Word)]
    options = decode_options(decode)  # every setting in effect, defaults included
    blob = json.dumps([_sha(audio), engine, model, language, shape, options], sort_keys=True, default=list)
    return hashlib.sha256(blob.encode()).hexdigest()


def transcribe_cached(
    audio: Path, cache: Path, *, engine: str, model: str, model_cache: Path, language: str, decode: dict | None = None
):
    """(transcript, wall_s, cpu_s, cached). The cache key covers the audio bytes, the engine,
    the model, every decoding setting in effect (``decode`` applied to the engine's defaults)
    and the shape of the Transcript dataclasses (a new field re-transcribes)."""
    from recordings.pipeline import transcribe_audio

    key = _transcript_key(audio, engine, model, language, decode)
    if cache.exists():
        try:
            with cache.open("rb") as fh:
                d = pickle.load(fh)
            if d["key"] == key:
                return d["transcript"], d["wall_s"], d["cpu_s"], True
        except Exception:  # a stale or partial cache entry: transcribe again
            pass
    t, c = time.perf_counter(), _cpu()
    tr = transcribe_audio(
        audio,
        engine_name=engine,
        model_spec=model,
        cache_dir=model_cache,
        language=language,
        cpu_threads=1,
        decode=decode,
    )
    wall, cpu = time.perf_counter() - t, _cpu() - c
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        pickle.dump({"key": key, "transcript": tr, "wall_s": wall, "cpu_s": cpu}, fh)
    os.replace(tmp, cache)
    return tr, wall, cpu, False


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _text(transcript) -> str:
    return " ".join(s.text for s in transcript.segments)


# --------------------------------------------------------------------------- audio metrics


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 0 else 0.0


def audio_metrics(call: Call, orig: np.ndarray, listen: np.ndarray, clean: np.ndarray, rate: int) -> dict:
    n = min(len(orig), len(listen), len(clean))
    orig, listen, clean = orig[:n], listen[:n], clean[:n]
    speech = (
        np.concatenate([clean[int(s.start * rate) : int(s.end * rate)] for s in call.spans]) if call.spans else clean
    )
    floor = float(np.sqrt(np.mean(speech**2))) * 10 ** (SILENT_DB / 20)
    win = int(WINDOW_S * rate)
    per_span = []
    for s in call.pii:
        a0, a1 = int(round(s.start * rate)), min(n, int(round(s.end * rate)))
        total = silent = audible = 0
        run = longest = 0
        for a in range(a0, a1 - win + 1, win):
            total += 1
            if float(np.sqrt(np.mean(clean[a : a + win] ** 2))) < floor:
                silent += 1
                continue
            if _pearson(orig[a : a + win], listen[a : a + win]) > AUDIBLE_CORR:
                audible += 1
                run += 1
                longest = max(longest, run)
            else:
                run = 0
        per_span.append({"windows": total, "silent": silent, "audible": audible, "longest_run": longest})
    # muted = 10 ms frames where most samples differ from the original
    frame = int(MUTED_FRAME_S * rate)
    k = n // frame
    diff = (orig[: k * frame] != listen[: k * frame]).reshape(k, frame).mean(axis=1) >= 0.5
    harmless_s = muted_s = 0.0
    for s in call.harmless:
        f0, f1 = int(s.start / MUTED_FRAME_S), min(k, int(np.ceil(s.end / MUTED_FRAME_S)))
        harmless_s += (f1 - f0) * MUTED_FRAME_S
        muted_s += float(diff[f0:f1].sum()) * MUTED_FRAME_S
    return {
        "spans": per_span,
        "harmless_s": harmless_s,
        "harmless_muted_s": muted_s,
        "muted_s": float(diff.sum()) * 0.01,
    }


# --------------------------------------------------------------------------- one call


def evaluate(task: dict) -> dict:
    """Runs in a worker: transcribe (cached), plan with each method, render, measure."""
    from recordings.speech.redact_audio import render_redacted

    call = call_from_json(task["call"])
    corpus = Path(task["corpus"])
    engine, model = task["engine"], task["model"]
    tag = f"{engine}-{_model_tag(model)}"
    dtag = f"{tag}-{task['decode_name']}"
    orig_path, clean_path = corpus / call.orig16k, corpus / call.clean16k
    out = {"call_id": call.call_id, "engine": engine, "methods": {}, "error": ""}
    try:
        tr, wall, cpu, cached = transcribe_cached(
            orig_path,
            corpus / "transcripts" / dtag / f"{call.call_id}.pkl",
            engine=engine,
            model=model,
            model_cache=Path(task["model_cache"]),
            language=call.lang,
            decode=task["decode"],
        )
    except Exception as exc:
        out["error"] = f"transcription failed: {type(exc).__name__}: {exc}"
        out["methods"] = {m: {"status": "failed", "error": out["error"]} for m in task["methods"]}
        return out
    text = _text(tr)
    out.update(transcribe_wall_s=wall, transcribe_cpu_s=cpu, transcribe_cached=cached, text=text)
    out["near_misses"] = near_misses(call, tr)
    words = [w for seg in tr.segments for w in seg.words]
    out["span_heard"] = {
        f"{s.start:.2f}": "".join(w.text for w in words if s.start - 0.15 <= (w.start + w.end) / 2 <= s.end + 0.15)
        for s in call.pii
    }
    strings = _pii_strings(call)
    out["heard_in_transcript"] = {t: found_in(t, k, text) for t, k in strings.items()}
    orig, rate = read_wav(orig_path)
    clean, _ = read_wav(clean_path)
    duration = tr.duration_s or call.duration_s
    for method in task["methods"]:
        res: dict = {}
        out["methods"][method] = res
        try:
            t0 = time.perf_counter()
            mo = method_fn(method)(tr, duration_s=duration, pad_s=task["pad_s"])
            res["plan_s"] = time.perf_counter() - t0
            res.update(status=mo.status, mute=mo.mute, reasons=mo.reasons, problems=mo.problems[:20])
            redacted_text = " ".join(mo.redacted)
            res["redacted_text"] = redacted_text
            res["text_leaks"] = {t: f for t, k in strings.items() if (f := found_in(t, k, redacted_text))}
            listen_path = corpus / "listen" / method / dtag / f"{call.call_id}.wav"
            t0 = time.perf_counter()
            render_redacted(orig_path, listen_path, mo.mute)
            res["render_s"] = time.perf_counter() - t0
            listen, _ = read_wav(listen_path)
            res.update(audio_metrics(call, orig, listen, clean, rate))
            if not task["retranscribe"] or (task["retranscribe_ok_only"] and mo.status != "ok"):
                res.update(retranscribe_s=0.0, retranscribe_cached=True, retranscript="", recovered={})
                continue
            if mo.mute or task["decode_name"] != "today":
                # The listener's recogniser is fixed: the product's decoding settings ("today"),
                # whatever settings produced the plan.
                spans_key = hashlib.sha1(json.dumps([[round(a, 4), round(b, 4)] for a, b in mo.mute]).encode())
                re_tr, re_wall, _cpu_s, re_cached = transcribe_cached(
                    listen_path,
                    corpus / "retranscripts" / tag / f"{call.call_id}-{spans_key.hexdigest()[:12]}.pkl",
                    engine=engine,
                    model=model,
                    model_cache=Path(task["model_cache"]),
                    language=call.lang,
                    decode=task["today"],
                )
            else:  # nothing muted: the copy is the original, so is its transcript
                re_tr, re_wall, re_cached = tr, 0.0, True
            res.update(retranscribe_s=re_wall, retranscribe_cached=re_cached, retranscript=_text(re_tr))
            res["recovered"] = {t: f for t, k in strings.items() if (f := found_in(t, k, res["retranscript"]))}
        except MethodUnavailable as exc:
            res.clear()
            res.update(status="failed", error=str(exc))
        except Exception as exc:
            res.clear()
            res.update(status="failed", error=f"{type(exc).__name__}: {exc}", trace=traceback.format_exc()[-1500:])
    return out


def _pii_strings(call: Call) -> dict[str, str]:
    """Distinct PII strings of the call (truth -> kind); a self-corrected wrong start is its own."""
    out: dict[str, str] = {}
    for s in call.pii:
        out.setdefault(s.truth, s.kind)
    return out


# --------------------------------------------------------------------------- aggregation


def aggregate(calls: dict[str, Call], results: list[dict], method: str) -> dict:
    st = Counter()
    agg = defaultdict(float)
    by_lang: dict[str, Counter] = defaultdict(Counter)
    by_kind: dict[str, Counter] = defaultdict(Counter)
    false_safe, false_alarm = [], []
    times = defaultdict(list)
    for r in results:
        call = calls[r["call_id"]]
        m = r["methods"].get(method, {})
        status = m.get("status", "failed")
        st[status] += 1
        times["transcribe"].append(r.get("transcribe_wall_s", 0.0))
        if status == "failed" or "spans" not in m:
            continue
        for (a0, a1), why in zip(m["mute"], m["reasons"], strict=True):
            agg[f"reason:{why or '-'}"] += a1 - a0
        times["plan"].append(m["plan_s"])
        times["render"].append(m["render_s"])
        times["retranscribe"].append(m["retranscribe_s"])
        ok = status == "ok"
        audible = sum(s["audible"] for s in m["spans"])
        strings = _pii_strings(call)
        leaked_audio = audible > 0 or bool(m["recovered"])
        lang = by_lang[call.lang]
        for span, sm in zip(call.pii, m["spans"], strict=True):
            for c in (lang, by_kind[span.kind], by_kind[f"style:{span.style}"]):
                c["windows"] += sm["windows"]
                c["silent"] += sm["silent"]
                c["audible"] += sm["audible"]
                c["spans"] += 1
                c["spans_audible"] += sm["audible"] > 0
                c["spans_audible_3"] += sm["longest_run"] >= 3
        for t, k in strings.items():
            for c in (lang, by_kind[k]):
                c["strings"] += 1
                c["recovered"] += t in m["recovered"]
                c["text_leaks"] += t in m["text_leaks"]
                c["heard"] += bool(r["heard_in_transcript"].get(t))
        lang["harmless_s"] += m["harmless_s"]
        lang["harmless_muted_s"] += m["harmless_muted_s"]
        lang["calls"] += 1
        agg["windows"] += sum(s["windows"] for s in m["spans"])
        agg["silent"] += sum(s["silent"] for s in m["spans"])
        agg["audible"] += audible
        agg["audible_ok"] += audible if ok else 0
        agg["spans"] += len(m["spans"])
        agg["spans_audible"] += sum(s["audible"] > 0 for s in m["spans"])
        agg["strings"] += len(strings)
        agg["heard"] += sum(bool(v) for v in r["heard_in_transcript"].values())
        agg["recovered"] += len(m["recovered"])
        agg["recovered_ok"] += len(m["recovered"]) if ok else 0
        agg["text_leaks"] += len(m["text_leaks"])
        agg["harmless_s"] += m["harmless_s"]
        agg["harmless_muted_s"] += m["harmless_muted_s"]
        if ok:
            agg["harmless_s_ok"] += m["harmless_s"]
            agg["harmless_muted_s_ok"] += m["harmless_muted_s"]
        if ok and (leaked_audio or m["text_leaks"]):
            false_safe.append(r["call_id"])
        if status == "needs_review" and not leaked_audio:
            false_alarm.append(r["call_id"])
    return {
        "status": st,
        "agg": agg,
        "by_lang": by_lang,
        "by_kind": by_kind,
        "false_safe": false_safe,
        "false_alarm": false_alarm,
        "times": {k: (float(np.mean(v)) if v else 0.0) for k, v in times.items()},
    }


def _pct(a: float, b: float) -> str:
    return f"{100 * a / b:.1f} %" if b else "–"


def collect_near_misses(results_by_engine: dict[str, list[dict]], calls: dict[str, Call]) -> dict:
    out = {}
    for engine, results in results_by_engine.items():
        subs: Counter = Counter()
        wrong: Counter = Counter()
        totals: dict[str, Counter] = defaultdict(Counter)
        examples: dict = defaultdict(list)
        inserted: Counter = Counter()
        for r in results:
            lang = calls[r["call_id"]].lang
            for nm in r.get("near_misses", []):
                totals[lang][nm["kind"]] += 1
                if nm["kind"] == "near_miss":
                    key = (lang, nm["digit"], nm["said"], nm["heard"])
                    subs[key] += 1
                    if len(examples[key]) < 5 and r["call_id"] not in examples[key]:
                        examples[key].append(r["call_id"])
                elif nm["kind"] == "wrong_digit":
                    wrong[(lang, nm["digit"], nm["said"], nm["heard"])] += 1
                elif nm["kind"] == "inserted":
                    inserted[(lang, nm["heard"])] += 1
        by_heard: dict = defaultdict(lambda: defaultdict(Counter))
        for (lang, digit, _said, heard), n in subs.items():
            by_heard[lang][heard][digit] += n
        out[engine] = {
            "totals": {lang: dict(c) for lang, c in totals.items()},
            "near_misses": [
                {"lang": k[0], "digit": k[1], "said": k[2], "heard": k[3], "count": n, "calls": examples[k]}
                for k, n in subs.most_common()
            ],
            "by_heard": {
                lang: {
                    h: {"count": sum(d.values()), "digits": dict(d)}
                    for h, d in sorted(words.items(), key=lambda kv: -sum(kv[1].values()))
                }  # fmt: skip
                for lang, words in by_heard.items()
            },
            "wrong_digits": [
                {"lang": k[0], "digit": k[1], "said": k[2], "heard": k[3], "count": n} for k, n in wrong.most_common()
            ],
            "inserted_words": [{"lang": k[0], "heard": k[1], "count": n} for k, n in inserted.most_common(40)],
        }
    return out


# --------------------------------------------------------------------------- main


def _git_commit() -> str:
    try:
        sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True)  # fmt: skip
        return sha.stdout.strip() + (" (working tree has uncommitted changes)" if dirty.stdout.strip() else "")
    except OSError:
        return "?"


def run_engine(
    engine: str, calls: list[Call], corpus: Path, args, methods: list[str], pad_s: float, decode_names: list[str]
) -> dict[str, list[dict]]:
    """Every call with every decoding setting, call by call (all settings of one call before the
    next call), so a run stopped early still compares the settings on the same calls."""
    tasks = [
        {
            "call": asdict(c),
            "corpus": str(corpus),
            "engine": engine,
            "model": args.model,
            "model_cache": str(args.model_cache),
            "methods": methods,
            "pad_s": pad_s,
            "decode_name": decode_name,
            "decode": args.decodes[decode_name],
            "today": args.decodes["today"],
            "retranscribe": not args.no_retranscribe,
            "retranscribe_ok_only": args.retranscribe_ok_only,
        }
        for c in calls
        for decode_name in decode_names
    ]
    results: dict[str, list[dict]] = {d: [] for d in decode_names}
    t0 = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=ctx, initializer=_init_worker) as pool:
        futures = {pool.submit(evaluate, t): t["decode_name"] for t in tasks}
        for n, fut in enumerate(as_completed(futures), 1):
            r, decode_name = fut.result(), futures[fut]
            results[decode_name].append(r)
            parts = []
            for m in methods:
                mr = r["methods"].get(m, {})
                if "spans" in mr:
                    parts.append(f"{m}: {mr['status']}, audible {sum(s['audible'] for s in mr['spans'])}, "
                                 f"recovered {len(mr['recovered'])}, text {len(mr['text_leaks'])}")  # fmt: skip
                else:
                    parts.append(f"{m}: {mr.get('status', 'failed')} {mr.get('error', '')[:80]}")
            tx = "cached" if r.get("transcribe_cached") else f"{r.get('transcribe_wall_s', 0):.1f} s"
            print(f"  [{engine} {decode_name} {n}/{len(tasks)} {time.perf_counter() - t0:.0f} s] {r['call_id']} ({tx}): "
                  + "; ".join(parts), flush=True)  # fmt: skip
    for rs in results.values():
        rs.sort(key=lambda r: r["call_id"])
    return results


def report(args, calls: list[Call], info: dict, results_by_engine: dict, methods: list[str], skipped: dict,
           pad_s: float, wall_s: float) -> str:  # fmt: skip
    by_id = {c.call_id: c for c in calls}
    lines = [
        f"# De-identification benchmark (issue 10) — {date.today().isoformat()}",
        "",
        f"Machine: {platform.node()}, {os.cpu_count()} cores (shared), {platform.platform()}, "
        f"Python {platform.python_version()}. Git commit: {_git_commit()}.",
        f"Command: `python bench/redaction.py {' '.join(sys.argv[1:])}` — {wall_s / 60:.1f} min wall, "
        f"{args.jobs} job(s) × 1 thread; load average at the end {os.getloadavg()[0]:.2f}.",
        f"Model `{args.model}` (faster-whisper int8, openai-whisper float32 from the same weights), "
        f"language forced per call (en / zh), `RECORDING_MUTE_PAD_S` = {pad_s}.",
        "Decoding settings (overrides of `recordings.speech.engines.DECODE_DEFAULTS`; rows are labelled "
        "`engine [name]` when more than one is compared): "
        + "; ".join(
            f"`{n}` = `{json.dumps(d, ensure_ascii=False)}`" for n, d in args.decodes.items() if n in args.decode_names
        )  # fmt: skip
        + ". Re-transcription of listening copies uses `today`'s settings (the listener's recogniser is fixed)"
        + (
            " — **skipped in this run (`--no-retranscribe`): PII strings recovered not measured**."
            if args.no_retranscribe
            else " — **only for calls marked ok in this run (`--retranscribe-ok-only`): PII strings recovered "
            "not measured for calls held for review** (false-safe stays fully measured)."
            if args.retranscribe_ok_only
            else "."
        ),
        "",
        "## Material",
        "",
        "Generated by bench/deid_corpus.py, seed " + f"{args.seed} (generator v{info['generator_version']}):",
        "",
        "```",
        summarise(calls),
        "```",
        "",
        "AMR-NB: "
        + (
            "included."
            if info["amr_encoder"]
            else "**not included** — this ffmpeg has no AMR-NB encoder "
            "(`ffmpeg -encoders | grep amr` is empty; Debian builds decode AMR but cannot encode it)."
        ),
        "Voices: espeak-ng English (en, en-us, en-gb, en-gb-x-rp, en-gb-scotland, en-us-nyc with "
        "variants +f2/+f3/+f4/+m1/+m3) and `cmn-latn-pinyin` (+variants) for Mandarin; e-mail addresses "
        "in Mandarin calls are read by an English voice (code switching). Noise: white, pink or mains hum "
        "+ hiss at 10-20 dB SNR, telephone band 300-3400 Hz at 8 kHz.",
        "",
        "## How it is measured",
        "",
        "- *PII windows audible*: 100 ms windows inside true PII speech (espeak's leading/trailing "
        f"silence trimmed); windows whose clean speech is below {SILENT_DB:.0f} dB of the call's speech "
        f"level are *skipped* (pauses between digit groups); audible = Pearson r > {AUDIBLE_CORR} between "
        "listening copy and original (both `decode_to_wav16k` of the upload). *3+ in a row* = spans with "
        "at least 300 ms audible in one stretch (a whole digit).",
        "- *PII strings*: distinct PII values per call (a self-corrected wrong start is its own string). "
        "*Recovered* = the listening copy re-transcribed by the same engine gives away ≥4 consecutive "
        "true digits (CVV: its 3 digits as a short run; e-mail: the local part) after normalising digit "
        "words, two-digit words, 'double', Chinese numerals, 幺 and 两. *Heard* = the same test on the "
        "original transcript (what the recogniser exposed at all). *Text leaks* = the test on the "
        "redacted transcript text.",
        "- *Harmless muted*: seconds of true harmless speech (complaint sentences and cue phrases) in "
        "which the copy differs from the original (10 ms frames), over all harmless speech. Target ≤ 15 %.",
        "- *As shipped*: only calls whose status is ok (a call held for review offers no listening copy). "
        "*False-safe*: status ok but audio or text leaked. *False alarm*: held for review although the "
        "copy leaked no audio.",
        "- Times: transcription of the original (wall, 1 thread, measured when first transcribed and "
        "cached), planning, rendering, re-transcription of the copy (0 when cached or nothing muted).",
        "",
    ]
    if skipped:
        lines += ["**Methods not run:** " + "; ".join(f"`{m}` — {why}" for m, why in skipped.items()), ""]
    lines += [
        "## Results",
        "",
        "| engine | method | calls | ok / review / failed | PII windows audible (all calls) | as shipped | "
        "spans with audible window (3+ in a row) | PII strings recovered (all / as shipped) | heard in original "
        "transcript | harmless muted (all / as shipped) | text leaks | false-safe calls | false alarms | "
        "time per call: transcribe / plan / render / re-transcribe |",
        "|" + "---|" * 15,
    ]
    aggs = {}
    for engine, results in results_by_engine.items():
        for method in methods:
            a = aggregate(by_id, results, method)
            aggs[(engine, method)] = a
            g, st, t = a["agg"], a["status"], a["times"]
            measured = g["windows"] - g["silent"]
            lines.append(
                f"| {engine} | {method} | {len(results)} | {st['ok']} / {st['needs_review']} / {st['failed']} | "
                f"{int(g['audible'])} of {int(measured)} ({int(g['silent'])} silent skipped) | "
                f"{int(g['audible_ok'])} | {int(g['spans_audible'])} of {int(g['spans'])} "
                f"({sum(c['spans_audible_3'] for k, c in a['by_kind'].items() if not k.startswith('style:'))}) | "
                f"{int(g['recovered'])} / {int(g['recovered_ok'])} of {int(g['strings'])} | {int(g['heard'])} | "
                f"{_pct(g['harmless_muted_s'], g['harmless_s'])} / {_pct(g['harmless_muted_s_ok'], g['harmless_s_ok'])} | "
                f"{int(g['text_leaks'])} | {len(a['false_safe'])} | {len(a['false_alarm'])} | "
                f"{t.get('transcribe', 0):.1f} s / {1000 * t.get('plan', 0):.0f} ms / {t.get('render', 0):.2f} s / "
                f"{t.get('retranscribe', 0):.1f} s |"
            )
    lines += [""]
    for (engine, method), a in aggs.items():
        reasons = {k[7:]: v for k, v in a["agg"].items() if k.startswith("reason:")}
        if reasons:
            lines.append(f"- {engine} × {method}: seconds muted by reason (of the longest part of each merged span): "
                         + ", ".join(f"{k} {v:.0f} s" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1])))  # fmt: skip
    lines += [
        "",
        f"Targets: audible windows 0, strings recovered 0, text leaks 0, harmless muted ≤ {HARMLESS_TARGET:.0%}.",
        "",
    ]
    for engine, results in results_by_engine.items():
        tx = [r["transcribe_wall_s"] for r in results if "transcribe_wall_s" in r]
        cp = [r["transcribe_cpu_s"] for r in results if "transcribe_cpu_s" in r]
        aud = sum(by_id[r["call_id"]].duration_s for r in results)
        if tx:
            lines.append(
                f"- {engine}: transcription {np.mean(tx):.1f} s wall / {np.mean(cp):.1f} s CPU per call on average "
                f"(RTF {sum(tx) / aud:.2f} wall, {sum(cp) / aud:.2f} CPU; {aud / len(results):.0f} s of audio per call)."
            )
    lines += ["", "### By language", "",
              "| engine | method | lang | calls | windows audible / measured | spans audible | strings recovered | "
              "heard | text leaks | harmless muted |",
              "|" + "---|" * 10]  # fmt: skip
    for (engine, method), a in aggs.items():
        for lang, c in sorted(a["by_lang"].items()):
            lines.append(
                f"| {engine} | {method} | {lang} | {c['calls']} | {c['audible']} / {c['windows'] - c['silent']} | "
                f"{c['spans_audible']} of {c['spans']} | {c['recovered']} of {c['strings']} | {c['heard']} | "
                f"{c['text_leaks']} | {_pct(c['harmless_muted_s'], c['harmless_s'])} |"
            )
    lines += ["", "### By kind of PII and by how it was read", "",
              "| engine | method | kind / style | spans | spans audible (3+ in a row) | windows audible / measured | "
              "strings recovered | heard | text leaks |",
              "|" + "---|" * 9]  # fmt: skip
    for (engine, method), a in aggs.items():
        for kind, c in sorted(a["by_kind"].items()):
            strings = f"{c['recovered']} of {c['strings']}" if not kind.startswith("style:") else "–"
            lines.append(
                f"| {engine} | {method} | {kind} | {c['spans']} | {c['spans_audible']} ({c['spans_audible_3']}) | "
                f"{c['audible']} / {c['windows'] - c['silent']} | {strings} | "
                f"{c['heard'] if not kind.startswith('style:') else '–'} | "
                f"{c['text_leaks'] if not kind.startswith('style:') else '–'} |"
            )
    # appendix: per-call detail
    lines += ["", "## Appendix: calls that leaked, were held for review or failed", ""]
    for engine, results in results_by_engine.items():
        for method in methods:
            lines += [f"### {engine} × {method}", ""]
            any_row = False
            for r in results:
                call = by_id[r["call_id"]]
                m = r["methods"].get(method, {})
                status = m.get("status", "failed")
                if "spans" not in m:
                    lines.append(f"- **{call.call_id}** ({call.lang}, {call.voice}, {call.codec}): **{status}** — "
                                 f"{m.get('error') or r.get('error')}")  # fmt: skip
                    any_row = True
                    continue
                leaks = [
                    (s, sm)
                    for s, sm in zip(call.pii, m["spans"], strict=True)
                    if sm["audible"] or s.truth in m["recovered"] or s.truth in m["text_leaks"]
                ]
                if status == "ok" and not leaks:
                    continue
                any_row = True
                lines.append(
                    f"- **{call.call_id}** ({call.lang}, {call.voice} @{call.speed}, {call.codec}, SNR {call.snr_db} dB "
                    f"{call.noise}, {call.duration_s:.0f} s): **{status}**"
                    + (f" — {'; '.join(m['problems'])[:300]}" if m.get("problems") else "")
                    + f"; muted {len(m['mute'])} spans / {m['muted_s']:.1f} s"
                )
                for s, sm in leaks:
                    bits = []
                    if sm["audible"]:
                        bits.append(f"{sm['audible']}/{sm['windows'] - sm['silent']} windows audible "
                                    f"(longest {sm['longest_run'] * 100} ms)")  # fmt: skip
                    if s.truth in m["recovered"]:
                        bits.append(f"re-transcription gives `{m['recovered'][s.truth]}`")
                    if s.truth in m["text_leaks"]:
                        bits.append(f"redacted text keeps `{m['text_leaks'][s.truth]}`")
                    heard = _words_in(s, r)
                    lines.append(
                        f"  - {s.kind} ({s.style}, {s.attempt}) `{s.truth}` at {s.start:.1f}-{s.end:.1f} s: "
                        + "; ".join(bits)
                        + (f" — engine wrote: “{heard}”" if heard else "")
                    )
            if not any_row:
                lines.append("(none)")
            lines.append("")
    return "\n".join(lines) + "\n"


def _words_in(span: Span, r: dict) -> str:
    return r.get("span_heard", {}).get(f"{span.start:.2f}", "").strip()[:200]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--calls", type=int, default=60)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--engines", default=None, help="comma-separated; default settings.TRANSCRIPTION_ENGINE")
    p.add_argument("--methods", default="baseline,new", help="baseline, new, new@REV (comma-separated)")
    p.add_argument("--limit", type=int, default=0, help="evaluate only the first N calls of the corpus")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (1 thread each)")
    p.add_argument("--model", default=None, help="default settings.TRANSCRIPTION_MODEL")
    p.add_argument("--model-cache", default=None, help="default settings.TRANSCRIPTION_MODEL_CACHE")
    p.add_argument("--out", default=None, help="results file (default bench/results/redaction-<date>.md)")
    p.add_argument("--near-misses", default=str(ROOT / "bench" / "results" / "deid-near-misses.json"))
    p.add_argument(
        "--decode",
        action="append",
        default=None,
        help="decoding settings to compare, repeatable: a preset name (" + ", ".join(DECODE_PRESETS) + ") or "
        "NAME='{json overrides}'; default: today",
    )
    p.add_argument(
        "--no-retranscribe",
        action="store_true",
        help="skip re-transcribing listening copies (screening: PII strings recovered not measured)",
    )
    p.add_argument(
        "--retranscribe-ok-only",
        action="store_true",
        help="re-transcribe only the listening copies of calls marked ok (what ships; false-safe stays measured, "
        "PII strings recovered is then not measured for calls held for review)",
    )
    args = p.parse_args()

    _setup_django()
    from django.conf import settings

    args.model = args.model or settings.TRANSCRIPTION_MODEL
    from recordings.speech.engines import decode_options

    args.decodes = {**DECODE_PRESETS, "today": dict(getattr(settings, "TRANSCRIPTION_DECODE", {}) or {})}
    args.decode_names = []
    for item in args.decode or ["today"]:
        name, _, blob = item.partition("=")
        if blob:
            args.decodes[name] = json.loads(blob)
        elif name not in args.decodes:
            raise SystemExit(f"unknown decode preset {name!r}; known: {', '.join(DECODE_PRESETS)}")
        decode_options(args.decodes[name])  # fail on a typo before hours of work
        args.decode_names.append(name)
    args.model_cache = Path(args.model_cache or settings.TRANSCRIPTION_MODEL_CACHE)
    engines = [e.strip() for e in (args.engines or settings.TRANSCRIPTION_ENGINE).split(",") if e.strip()]
    wanted = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in wanted if m not in ALL_METHODS and not m.startswith("new@")]
    if unknown:
        raise SystemExit(f"unknown method(s) {unknown}; known: {', '.join(ALL_METHODS)}, new@REV")
    skipped = {m: why for m in wanted if (why := method_available(m))}
    for m, why in skipped.items():
        print(f"!! method '{m}' skipped: {why}", file=sys.stderr)
    methods = [m for m in wanted if m not in skipped]
    if not methods:
        raise SystemExit("no method can run")
    pad_s = float(settings.RECORDING_MUTE_PAD_S)

    t_start = time.perf_counter()
    corpus, calls, info = build_corpus(args.calls, args.seed, jobs=args.jobs)
    if args.limit:
        calls = calls[: args.limit]
    print(summarise(calls), flush=True)

    from recordings.speech.models import resolve_model, resolve_openai_checkpoint

    resolve_model(args.model, cache_dir=args.model_cache)  # assemble once, not in every worker
    if "openai-whisper" in engines:
        resolve_openai_checkpoint(args.model, cache_dir=args.model_cache)

    results_by_engine = {}
    for engine in engines:
        names = ", ".join(args.decode_names)
        print(
            f"==> {engine} [{names}]: {len(calls)} calls, methods {', '.join(methods)}, {args.jobs} job(s)", flush=True
        )
        by_decode = run_engine(engine, calls, corpus, args, methods, pad_s, args.decode_names)
        for dname in args.decode_names:
            label = engine if args.decode_names == ["today"] else f"{engine} [{dname}]"
            results_by_engine[label] = by_decode[dname]
    wall = time.perf_counter() - t_start

    text = report(args, calls, info, results_by_engine, methods, skipped, pad_s, wall)
    out = Path(args.out) if args.out else ROOT / "bench" / "results" / f"redaction-{date.today().isoformat()}.md"
    out.write_text(text, encoding="utf-8")
    head = text.split("## Appendix")[0]
    print(head[head.index("## Results") :])
    print(f"written: {out}")

    nm_path = Path(args.near_misses)
    existing = json.loads(nm_path.read_text(encoding="utf-8")) if nm_path.exists() else {}
    engines_nm = existing.get("engines", {}) if existing.get("seed") == args.seed else {}
    by_id = {c.call_id: c for c in calls}
    engines_nm.update(collect_near_misses(results_by_engine, by_id))
    nm = {
        "about": "What the engines wrote for spoken digits inside true PII spans of the synthetic corpus "
        "(bench/deid_corpus.py), aligned digit by digit to the truth (Levenshtein over the transcript words "
        "whose midpoint lies in the span ±0.15 s). near_misses: a digit came back as a non-digit word "
        "(said = what espeak was given); by_heard: the same grouped by the word written; wrong_digits: "
        "came back as another digit; inserted_words: non-digit words inside PII spans with no digit "
        "against them. totals count every expected digit by outcome.",
        "date": date.today().isoformat(),
        "seed": args.seed,
        "calls": len(calls),
        "model": args.model,
        "engines": engines_nm,
    }
    nm_path.write_text(json.dumps(nm, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"written: {nm_path}")


if __name__ == "__main__":
    main()
