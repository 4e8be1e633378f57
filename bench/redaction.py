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
  one run compares today's product with a planner change on the same transcripts;
- ``METHOD+recheck`` (e.g. ``new+recheck``): METHOD over the transcript after the uncovered-speech
  recheck (``recordings.deid_recheck``; decodings cached under var/bench/deid/seed<N>/recheck/).

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

Modules: this file (decoding presets, the worker pool, the command line); bench/redaction_match.py
(digit matching, near-miss alignment); bench/redaction_eval.py (methods, transcript cache, audio
metrics, ``evaluate`` for one call); bench/redaction_report.py (aggregation, the report);
bench/redaction_planners.py (``new@REV``); bench/deid_corpus.py (the material).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.deid_corpus import Call, build_corpus, summarise  # noqa: E402
from bench.redaction_eval import ALL_METHODS, evaluate, method_available  # noqa: E402
from bench.redaction_report import collect_near_misses, report  # noqa: E402

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


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voc.settings")
    import django

    django.setup()


def _init_worker() -> None:
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"
    _setup_django()


# --------------------------------------------------------------------------- main


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
    unknown = [m for m in wanted if m.removesuffix("+recheck") not in ALL_METHODS and not m.startswith("new@")]
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
