"""One call of bench/redaction.py (issue 10): the methods that plan a listening copy, the
transcript cache, the audio metrics, and ``evaluate`` (runs in a worker)."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import re
import resource
import sys
import time
import traceback
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.deid_corpus import Call, call_from_json, read_wav  # noqa: E402
from bench.redaction_match import found_in, near_misses  # noqa: E402

WINDOW_S = 0.1
AUDIBLE_CORR = 0.5
SILENT_DB = -30.0  # clean-speech RMS below this (relative to the call's speech level) = silent window
MUTED_FRAME_S = 0.01
HARMLESS_TARGET = 0.15
ALL_METHODS = ("baseline", "new")


class MethodUnavailable(RuntimeError):
    """The method's code does not exist (yet) in this checkout."""


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
    REV, bench/redaction_planners.py: today's product next to a change, in one run). A method
    ``X+recheck`` plans with X the transcript after ``recordings.deid_recheck`` (see ``evaluate``)."""
    name = name.removesuffix("+recheck")
    if name.startswith("new@"):
        return functools.partial(method_new, method=name)
    return METHOD_FNS[name]


def method_available(name: str) -> str:
    """ "" when the method can run here, else the reason."""
    name = name.removesuffix("+recheck")
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


def cached_decoder(path: Path, live):
    """A ``decode(a, b) -> list[Word]`` for ``recordings.deid_recheck`` that replays the decodings
    stored at ``path`` and decodes the rest with ``live()(a, b)``; ``save()`` stores new ones;
    ``stats``: stretches decoded now and their wall seconds."""
    memo: dict = {}
    if path.exists():
        try:
            with path.open("rb") as fh:
                memo = pickle.load(fh)
        except Exception:  # a partial cache entry: decode again
            memo = {}
    stats = {"new": 0, "wall": 0.0}
    state: dict = {}

    def decode(a: float, b: float):
        key = (round(a, 3), round(b, 3))
        if key not in memo:
            if "fn" not in state:
                state["fn"] = live()
            t0 = time.perf_counter()
            memo[key] = state["fn"](a, b)
            stats["wall"] += time.perf_counter() - t0
            stats["new"] += 1
        return memo[key]

    def save() -> None:
        if stats["new"]:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as fh:
                pickle.dump(memo, fh)
            os.replace(tmp, path)

    return decode, save, stats


def live_decoder(audio_path: Path, *, engine: str, model: str, model_cache: Path, language: str):
    """``live`` for ``cached_decoder``: the engine's ``decode_crop`` over this file's audio."""

    def make():
        from faster_whisper import decode_audio

        from recordings.redaction import Word
        from recordings.speech import engines

        eng = engines.get_engine(engine, model_spec=model, cache_dir=Path(model_cache), cpu_threads=1)
        audio = decode_audio(str(audio_path), sampling_rate=engines.SAMPLE_RATE)

        def dec(a: float, b: float):
            return [
                Word(w.start, w.end, w.text, round(w.probability, 4), w.near_loop)
                for w in eng.decode_crop(audio, a, b, language)
            ]

        return dec

    return make


def rechecked(tr, call_id: str, corpus: Path, dtag: str, audio_path: Path, *, engine: str, model: str, model_cache):
    """(transcript after the uncovered-speech recheck, decode wall seconds spent now, stretches tried)."""
    from recordings.deid_recheck import recheck_uncovered

    decode, save, stats = cached_decoder(
        corpus / "recheck" / dtag / f"{call_id}.pkl",
        live_decoder(audio_path, engine=engine, model=model, model_cache=model_cache, language=_lang(tr)),
    )
    res = recheck_uncovered(tr.segments, tr.speech, decode, duration_s=tr.duration_s)
    save()
    return type(tr)(**{**tr.__dict__, "segments": res.segments}), stats["wall"], len(res.tried)


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
            tr_m = tr
            if method.endswith("+recheck"):
                tr_m, res["recheck_s"], res["recheck_stretches"] = rechecked(
                    tr, call.call_id, corpus, dtag, orig_path, engine=engine, model=model,
                    model_cache=Path(task["model_cache"]),
                )  # fmt: skip
            t0 = time.perf_counter()
            mo = method_fn(method)(tr_m, duration_s=duration, pad_s=task["pad_s"])
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
