"""Call QA on generated stereo calls: accuracy against planted truth, and throughput (issue 16).

For every call of bench/qa_corpus.py, the product path: ``decode_call`` (ffmpeg, 16 kHz, per
channel and their mix) -> ``recordings.stereo.transcribe_call_audio`` in each ``--modes`` value
("channels": faster-whisper on each channel; "downmix": one pass over the mix, each word to the
louder channel; the configured model, 1 thread, the call's language) -> the stereo listening plan
(``recordings.stereo.plan_stereo``) -> ``callqa.audio.facts_of_decoded`` (the energy detector, as the
transcription job measures the call for QA) -> ``callqa.rules.evaluate`` with the rule set below.
Calls are taken from one queue by ``--workers`` processes side by side; every mode runs over the
same calls in the same invocation.

Measured:
- throughput: audio hours per CPU-core-hour = audio seconds / CPU seconds of the workers (user +
  sys of each worker process and of its ffmpeg children, from getrusage; model loading reported
  apart), and audio hours per wall hour; the load average is sampled every 5 s during the run;
- transcription per speaker: word error rate (English) / character error rate (Mandarin) of each
  speaker's labelled text against what they said, and the share of recognised words that land on
  the other speaker's speech (echo heard as speech, or a word given to the wrong speaker);
- speaker labels: each recognised word whose middle lies in exactly one speaker's truth turn
  (±0.15 s) is right or wrong; words in over-talk or outside any turn are counted apart;
- audio facts against the truth by construction: voiced-frame precision/recall per speaker (the
  transcription's Silero regions and the energy detector), long silences, over-talk,
  interruptions, loudness and pitch rise;
- phrase and audio rules: precision/recall per rule type against the planted hits.

    .venv/bin/python bench/qa.py --calls 32 --workers 2 --modes channels downmix --out bench/results/qa-2026-12-08.md
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import resource
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.qa_corpus import build_corpus, summarise, truth_overtalk, truth_silences  # noqa: E402

MODEL_CACHE = ROOT / "var" / "models"
SILENCE_S = 10.0  # the long-silence rule's limit; planted silences are 12-16 s, normal pauses < 1.5 s
OVERTALK_S = 0.8  # the over-talk rule's limit in this bench; planted over-talk is 1.0-1.8 s

# The rule set (callqa.rules.RuleSpec fields): required phrases are the agent's, forbidden ones too.
RULES = [
    ("greeting", "required_phrase", {"zh": ("很高兴为您服务", "欢迎致电客户服务中心"),
                                     "en": ("how can I help you", "how may I help you", "welcome to customer service")},
     {"within_first_s": 20.0}),
    ("notice", "required_phrase", {"zh": ("本次通话将被录音",), "en": ("this call will be recorded",)}, {}),
    ("identity", "required_phrase", {"zh": ("核实您的身份", "核实一下您的身份"), "en": ("verify your identity",)}, {}),
    ("closing", "required_phrase", {"zh": ("感谢您的来电",), "en": ("thank you for calling",)},
     {"within_last_s": 20.0}),
    ("forbidden_returns", "forbidden_phrase", {"zh": ("保本保息", "稳赚不赔"),
                                               "en": ("guaranteed returns", "this fund is a sure win")}, {}),
    ("forbidden_credentials", "forbidden_phrase", {"zh": ("您的完整密码", "卡背面的安全码"),
                                                   "en": ("tell me your full password", "read me the CVV")}, {}),
    ("silence", "long_silence", {}, {"max_s": SILENCE_S}),
    ("overtalk", "overtalk", {}, {"min_s": OVERTALK_S}),
]  # fmt: skip


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voc.settings")
    import django

    django.setup()


def _cpu(who=resource.RUSAGE_SELF) -> float:
    ru = resource.getrusage(who)
    return ru.ru_utime + ru.ru_stime


# --------------------------------------------------------------------------- one call (a worker)


def process_call(call: dict, corpus: Path, model: str, mode: str = "channels") -> dict:
    """The product path for one call; returns what the evaluation needs (JSON-able)."""
    import tempfile

    from callqa.audio import audio_facts, facts_of_decoded, read_channels
    from recordings.speech.audio import decode_call
    from recordings.stereo import plan_stereo, transcribe_call_audio

    t0, c0, k0 = time.perf_counter(), _cpu(), _cpu(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        dec = decode_call(corpus / call["upload"], Path(tmp), timeout_s=120)
        t = transcribe_call_audio(dec, language=call["lang"], speakers=("agent", "customer"), mode=mode,
                                  engine_name="faster-whisper", model_spec=model, cache_dir=MODEL_CACHE,
                                  cpu_threads=1)  # fmt: skip
        parts = t.parts
        plan = plan_stereo(t, language=call["lang"], duration_s=t.duration_s, pad_s=0.3)
        energy_facts = facts_of_decoded(dec, ("agent", "customer"))  # measured once, in the transcription job
        turns = _turns(t)
        rules = _evaluate(turns, energy_facts)
        c1, k1, t1 = _cpu(), _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
        # for comparison (not timed): the facts from the transcription's own Silero VAD regions
        chans, sr = read_channels(dec.stereo_wav)
        facts = audio_facts(chans, sr, speech={s: p.speech for s, p in parts})
        energy = {sp: [(i.start, i.end) for i in v] for sp, v in energy_facts.speech.items()}
    return {
        "call_id": call["call_id"],
        "mode": mode,
        "cpu_s": round(c1 - c0, 3),
        "children_cpu_s": round(k1 - k0, 3),
        "wall_s": round(t1 - t0, 3),
        "layout": dec.layout,
        "segments": [
            {
                "speaker": sp,
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "words": [[w.start, w.end, w.text] for w in s.words],
            }
            for s, sp in zip(t.segments, t.speakers, strict=True)
        ],  # fmt: skip
        "silero": {s: p.speech for s, p in parts},
        "energy": energy,
        "facts": _facts_json(facts),
        "energy_facts": _facts_json(energy_facts),
        "mute_s": plan.muted_total_s,
        "deid_review": bool(plan.review),
        "rules": rules,
    }


def _turns(t):
    from callqa.facts import Turn, Word

    return [
        Turn(sp, s.start, s.end, s.text, tuple(Word(w.text, w.start, w.end, w.prob) for w in s.words))
        for s, sp in zip(t.segments, t.speakers, strict=True)
    ]


def rules_available() -> bool:
    try:
        import callqa.rules  # noqa: F401
    except ImportError:
        return False
    return True


def _evaluate(turns, facts) -> list[dict] | None:
    if not rules_available():
        return None
    from callqa import rules as R

    specs = [
        R.RuleSpec(i + 1, key, kind, 10, key, phrases=phrases, params=params)
        for i, (key, kind, phrases, params) in enumerate(RULES)
    ]
    result = R.evaluate(turns, facts, specs)
    hits = [
        {"rule": h.rule, "second": h.second, "end": h.end, "text": h.text, "speaker": h.speaker} for h in result.hits
    ]
    return hits + [{"rule": "_emotion", "second": None, "end": None, "text": str(result.emotion), "speaker": ""}]


def rescore(result: dict, duration: float) -> list[dict] | None:
    """The rules over a saved result (its turns and the product's audio facts), for results saved
    before ``callqa.rules`` existed; the same calls as ``process_call`` makes."""
    from callqa.facts import AudioFacts, Cue, Interval, Turn, Word

    turns = [
        Turn(s["speaker"], s["start"], s["end"], s["text"], tuple(Word(w[2], w[0], w[1]) for w in s["words"]))
        for s in result["segments"]
    ]
    f = result["energy_facts"]
    facts = AudioFacts(
        duration=duration,
        stereo=True,
        speech={k: tuple(Interval(a, b) for a, b in v) for k, v in f["speech"].items()},
        silences=tuple(Interval(a, b) for a, b in f["silences"]),
        overtalk=tuple(Interval(a, b) for a, b in f["overtalk"]),
        overtalk_known=True,
        cues=tuple(Cue(k, a, b, v) for k, a, b, v in f["cues"]),
    )
    return _evaluate(turns, facts)


def truth_result(call: dict) -> dict:
    """A result as if the recogniser had written exactly what was said (the reference text at the
    truth times, each speaker on their own channel), with the product's audio facts read off those
    times: the rules' precision/recall on it separates the matcher (and the bench's truth) from
    recognition errors."""
    from callqa import rules as R
    from callqa.facts import Turn

    turns = [Turn(t["speaker"], t["start"], t["end"], t["text"]) for t in call["turns"]]
    facts = R.facts_from_turns(turns, duration=call["duration_s"], stereo=True)
    segments = [{"speaker": t["speaker"], "start": t["start"], "end": t["end"], "text": t["text"], "words": []}
                for t in call["turns"]]  # fmt: skip
    return {"call_id": call["call_id"], "segments": segments, "rules": _evaluate(turns, facts)}


def _facts_json(f) -> dict:
    return {
        "speech": {k: [(i.start, i.end) for i in v] for k, v in f.speech.items()},
        "silences": [(i.start, i.end) for i in f.silences],
        "overtalk": [(i.start, i.end) for i in f.overtalk],
        "cues": [(c.kind, c.start, c.end, c.value) for c in f.cues],
    }


def worker(queue, results, corpus: str, model: str, mode: str) -> None:
    _django()
    from recordings.speech import engines

    c0, t0 = _cpu(), time.perf_counter()
    engines.get_engine("faster-whisper", model_spec=model, cache_dir=MODEL_CACHE, cpu_threads=1)
    results.put({"load": True, "cpu_s": _cpu() - c0, "wall_s": time.perf_counter() - t0})
    while True:
        call = queue.get()
        if call is None:
            break
        try:
            results.put(process_call(call, Path(corpus), model, mode))
        except Exception as exc:  # one broken call must not stop the bench: it is reported
            results.put({"call_id": call["call_id"], "error": f"{type(exc).__name__}: {exc}"})
    results.put({"done": True})


def run(calls: list[dict], corpus: Path, *, workers: int, model: str, mode: str, log=print) -> dict:
    ctx = mp.get_context("spawn")
    queue, results = ctx.Queue(), ctx.Queue()
    for c in calls:
        queue.put(c)
    for _ in range(workers):
        queue.put(None)
    loads: list[float] = []
    stop = threading.Event()

    def sample():
        while not stop.wait(5.0):
            loads.append(os.getloadavg()[0])

    threading.Thread(target=sample, daemon=True).start()
    started = time.perf_counter()
    procs = [ctx.Process(target=worker, args=(queue, results, str(corpus), model, mode)) for _ in range(workers)]
    for p in procs:
        p.start()
    out, model_loads, done = [], [], 0
    first_call_at = None
    while done < workers:
        r = results.get()
        if r.get("done"):
            done += 1
        elif r.get("load"):
            model_loads.append(r)
        else:
            first_call_at = first_call_at or time.perf_counter()
            out.append(r)
            log(f"  {r['call_id']}: " + (r.get("error") or f"cpu {r['cpu_s'] + r['children_cpu_s']:.1f} s"))
    for p in procs:
        p.join()
    stop.set()
    wall = time.perf_counter() - started
    return {"workers": workers, "mode": mode, "wall_s": wall, "results": out, "model_loads": model_loads,
            "loads": loads}  # fmt: skip


# --------------------------------------------------------------------------- evaluation


def _norm_words(text: str, lang: str) -> list[str]:
    if lang == "zh":
        from recordings.speech.engines import to_simplified

        return [c for c in to_simplified(text) if re.match(r"[\u3400-\u9fff0-9a-zA-Z]", c)]
    return re.findall(r"[a-z0-9']+", text.lower())


def _edits(a: list[str], b: list[str]) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]


def _frames(intervals, n: int, step: float = 0.01):
    import numpy as np

    m = np.zeros(n, dtype=bool)
    for a, b in intervals:
        m[int(a / step) : int(b / step)] = True
    return m


def _prf(tp: int, fp: int, fn: int) -> str:
    p = tp / (tp + fp) if tp + fp else float("nan")
    r = tp / (tp + fn) if tp + fn else float("nan")
    return f"{p:.2f} | {r:.2f} | {tp} | {fp} | {fn}"


def _match_events(found, truth, *, min_overlap: float = 0.3) -> tuple[int, int, int]:
    """Event matching by overlap: a found interval is a TP if it overlaps an unmatched truth one."""
    used, tp = set(), 0
    for a, b in found:
        hit = next(
            (k for k, (c, d) in enumerate(truth) if k not in used and min(b, d) - max(a, c) >= min_overlap), None
        )
        if hit is None:
            continue
        used.add(hit)
        tp += 1
    return tp, len(found) - tp, len(truth) - tp


def _truth_speaker(call: dict, t: float, pad: float = 0.15) -> str | None:
    """The one speaker whose truth turn holds time ``t``; "both" in over-talk, None outside speech."""
    inside = {x["speaker"] for x in call["turns"] if x["start"] - pad <= t <= x["end"] + pad}
    return inside.pop() if len(inside) == 1 else ("both" if inside else None)


def speaker_labels(calls: list[dict], results: dict[str, dict]) -> dict[str, list[int]]:
    """Per language: [right, wrong, in over-talk, outside any turn] over every recognised word."""
    out: dict[str, list[int]] = {}
    for c in calls:
        r = results.get(c["call_id"])
        if r is None or "error" in r:
            continue
        n = out.setdefault(c["lang"], [0, 0, 0, 0])
        for s in r["segments"]:
            for w0, w1, _w in s["words"]:
                truth = _truth_speaker(c, (w0 + w1) / 2)
                k = 3 if truth is None else 2 if truth == "both" else 0 if truth == s["speaker"] else 1
                n[k] += 1
    return out


def evaluate(
    calls: list[dict], results: dict[str, dict], summary: dict | None = None, *, only_rules: bool = False
) -> list[str]:
    summary = {} if summary is None else summary
    lines: list[str] = []
    ok = [c for c in calls if c["call_id"] in results and "error" not in results[c["call_id"]]]
    if not only_rules:
        lines += _accuracy(ok, results, summary)
    return lines + _rule_lines(ok, results, summary)


def _accuracy(ok: list[dict], results: dict[str, dict], summary: dict) -> list[str]:
    import numpy as np

    lines: list[str] = []
    labels = speaker_labels(ok, results)
    lines += ["### Speaker labels (each recognised word against the truth turns, ±0.15 s)", "",
              "| language | right | wrong | accuracy | words in over-talk | words outside any turn |",
              "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for lang, (right, wrong, both, outside) in sorted(labels.items()):
        acc = right / max(right + wrong, 1)
        summary[f"labels_{lang}"] = acc
        lines.append(f"| {lang} | {right} | {wrong} | {acc:.3f} | {both} | {outside} |")
    # transcription per speaker
    lines += ["", "### Transcription per speaker", "",
              "| language | speaker | error rate | reference units | words on the other speaker's speech |",
              "|---|---|---:|---:|---:|"]  # fmt: skip
    for lang in ("en", "zh"):
        for sp in ("agent", "customer"):
            err = ref = other = words = 0
            for c in (c for c in ok if c["lang"] == lang):
                r = results[c["call_id"]]
                truth = " ".join(t["text"] for t in c["turns"] if t["speaker"] == sp)
                hyp = " ".join(s["text"] for s in r["segments"] if s["speaker"] == sp)
                a, b = _norm_words(truth, lang), _norm_words(hyp, lang)
                err += _edits(a, b)
                ref += len(a)
                mine = [(t["start"] - 0.3, t["end"] + 0.3) for t in c["turns"] if t["speaker"] == sp]
                for s in (s for s in r["segments"] if s["speaker"] == sp):
                    for w0, w1, _w in s["words"]:
                        words += 1
                        other += not any(x <= (w0 + w1) / 2 <= y for x, y in mine)
            unit = "WER" if lang == "en" else "CER"
            summary[f"err_{lang}_{sp}"] = err / max(ref, 1)
            lines.append(f"| {lang} | {sp} | {unit} {err / max(ref, 1):.3f} | {ref} | {other} of {words} |")
    # voiced frames
    lines += ["", "### Voiced stretches (10 ms frames against the truth turns)", "",
              "| detector | speaker | precision | recall |", "|---|---|---:|---:|"]  # fmt: skip
    for det in ("silero", "energy"):
        for sp in ("agent", "customer"):
            tp = fp = fn = 0
            for c in ok:
                n = int(c["duration_s"] * 100) + 1
                truth = _frames([(t["start"], t["end"]) for t in c["turns"] if t["speaker"] == sp], n)
                got = _frames(results[c["call_id"]][det][sp], n)
                tp += int(np.sum(truth & got))
                fp += int(np.sum(got & ~truth))
                fn += int(np.sum(truth & ~got))
            lines.append(f"| {det} | {sp} | {tp / max(tp + fp, 1):.3f} | {tp / max(tp + fn, 1):.3f} |")
    # audio events
    lines += ["", "### Audio facts (events)", "",
              "| fact | detector | precision | recall | TP | FP | FN |", "|---|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for det, key in (("silero", "facts"), ("energy", "energy_facts")):
        agg: dict[str, list[int]] = {}

        def add(name, t, agg=agg):
            s = agg.setdefault(name, [0, 0, 0])
            for i in range(3):
                s[i] += t[i]

        for c in ok:
            f = results[c["call_id"]][key]
            add(f"silence ≥ {SILENCE_S:g} s", _match_events(
                [s for s in f["silences"] if s[1] - s[0] >= SILENCE_S], truth_silences(c, SILENCE_S), min_overlap=3.0))  # fmt: skip
            add(f"over-talk ≥ {OVERTALK_S:g} s", _match_events(
                [o for o in f["overtalk"] if o[1] - o[0] >= OVERTALK_S], truth_overtalk(c, 0.5)))  # fmt: skip
            inter = [(a, b) for k, a, b, _v in f["cues"] if k == "interruption"]
            truth_i = [(t["start"], t["start"] + 0.5) for t in c["turns"] if t["tag"] == "interrupt"]
            add("interruption", _match_events([(a, a + 0.5) for a, _b in inter], truth_i, min_overlap=0.1))
            for kind in ("loudness_rise", "pitch_rise"):
                got = any(k == kind for k, *_x in f["cues"])
                add(f"{kind} (per call)", (int(got and c["planted_rise"]), int(got and not c["planted_rise"]),
                                           int(c["planted_rise"] and not got)))  # fmt: skip
        for name, (tp, fp, fn) in agg.items():
            lines.append(f"| {name} | {det} | {_prf(tp, fp, fn)} |")
    return lines


def _rule_lines(ok: list[dict], results: dict[str, dict], summary: dict) -> list[str]:
    lines: list[str] = []
    if any(results[c["call_id"]].get("rules") is not None for c in ok):
        lines += ["", "### Rules (callqa.rules.evaluate) against the planted truth", "",
                  "| rule | type | precision | recall | TP | FP | FN |", "|---|---|---:|---:|---:|---:|---:|"]  # fmt: skip
        by_type: dict[str, list[int]] = {}
        for key, kind, _p, _x in RULES:
            tp = fp = fn = 0
            misses = []
            for c in ok:
                hits = [h for h in results[c["call_id"]]["rules"] if h["rule"] == key]
                want = _expected(c, key)
                if key.startswith("forbidden"):
                    spans = [(t["start"] - 2, t["end"] + 2) for t in c["turns"] if t["tag"] == key]
                    good = [h for h in hits if any(a <= (h["second"] or -1) <= b for a, b in spans)]
                    tp += min(len(good), len(spans))
                    fp += len(hits) - min(len(good), len(spans))
                    fn += len(spans) - min(len(good), len(spans))
                elif key == "silence":
                    t_, f_, n_ = _match_events([(h["second"], h["end"]) for h in hits],
                                               truth_silences(c, SILENCE_S), min_overlap=3.0)  # fmt: skip
                    tp, fp, fn = tp + t_, fp + f_, fn + n_
                elif key == "overtalk":
                    t_, f_, n_ = _match_events([(h["second"], h["end"]) for h in hits], truth_overtalk(c, 0.5))
                    tp, fp, fn = tp + t_, fp + f_, fn + n_
                else:
                    tp += bool(hits) and want
                    fp += bool(hits) and not want
                    fn += (not hits) and want
                    if bool(hits) != want:
                        misses.append(c["call_id"])
            lines.append(f"| {key} | {kind} | {_prf(tp, fp, fn)} |")
            s = by_type.setdefault(kind, [0, 0, 0])
            s[0], s[1], s[2] = s[0] + tp, s[1] + fp, s[2] + fn
        lines += ["", "| rule type | precision | recall | TP | FP | FN |", "|---|---:|---:|---:|---:|---:|"]
        for kind, (tp, fp, fn) in by_type.items():
            lines.append(f"| {kind} | {_prf(tp, fp, fn)} |")
            summary[kind] = (tp, fp, fn)
    return lines


def _expected(call: dict, key: str) -> bool:
    """Whether the rule should fire: a required phrase missing, a forbidden one said by the agent."""
    if key in call["present"]:
        return not call["present"][key]
    return key in call["forbidden"]


# --------------------------------------------------------------------------- main


def audio_per_cpu(run_: dict) -> float:
    rs = [r for r in run_["results"] if "error" not in r]
    return sum(r["_duration"] for r in rs) / max(sum(r["cpu_s"] + r["children_cpu_s"] for r in rs), 1e-9)


def throughput_lines(run_: dict) -> list[str]:
    rs = [r for r in run_["results"] if "error" not in r]
    audio = sum(r["_duration"] for r in rs)
    cpu = sum(r["cpu_s"] + r["children_cpu_s"] for r in rs)
    load_cpu = sum(m["cpu_s"] for m in run_["model_loads"])
    loads = run_["loads"] or [float("nan")]
    return [
        f"| {run_.get('mode', 'channels')} | {run_['workers']} | {len(rs)} | {audio / 60:.1f} | {cpu:.0f} | {audio / max(cpu, 1e-9):.1f} | "
        f"{run_['wall_s']:.0f} | {audio / run_['wall_s']:.1f} | {load_cpu:.1f} | "
        f"{min(loads):.1f}–{max(loads):.1f} (median {sorted(loads)[len(loads) // 2]:.1f}) |"
    ]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--calls", type=int, default=32)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workers", type=int, nargs="+", default=[2], help="one run per value, e.g. 1 2")
    p.add_argument("--modes", nargs="+", default=["channels", "downmix"], choices=["channels", "downmix"],
                   help="how a stereo call is recognised (RECORDING_STEREO_TRANSCRIPTION); one run per value")  # fmt: skip
    p.add_argument("--model", default="pkg:base")
    p.add_argument("--jobs", type=int, default=1, help="corpus builder processes")
    p.add_argument(
        "--single-calls",
        type=int,
        default=0,
        help="a 1-worker run takes only the first N calls (both languages alternate)",
    )
    p.add_argument("--reuse", action="store_true", help="evaluate the runs saved by an earlier invocation")
    p.add_argument("--rescore", action="store_true", help="with --reuse: the rules of today's code on the saved turns")
    p.add_argument("--truth-text", action="store_true", help="also the rules on the reference text (no recogniser)")
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    _django()
    corpus, calls = build_corpus(args.calls, args.seed, jobs=args.jobs)
    print(summarise(calls))
    runs = []
    dur = {c["call_id"]: c["duration_s"] for c in calls}
    for mode in args.modes:
        for w in args.workers:
            saved = corpus / f"run-{mode}-{w}w.json"
            if args.reuse and saved.exists():
                runs.append(json.loads(saved.read_text()))
                continue
            todo = calls[: args.single_calls] if w == 1 and args.single_calls else calls
            print(f"==> {mode}: {w} worker(s), {len(todo)} calls")
            r = run(todo, corpus, workers=w, model=args.model, mode=mode)
            for x in r["results"]:
                x["_duration"] = dur[x["call_id"]]
            runs.append(r)
            saved.write_text(json.dumps(r, ensure_ascii=False))
    lines = [
        "## Corpus", "", "```", summarise(calls), "```", "",
        "## Throughput (transcription + de-identification plan + audio facts + rules)", "",
        "| mode | workers | calls | audio min | CPU s | audio h per CPU-core-h | wall s | audio h per wall h | "
        "model load CPU s | load average |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]  # fmt: skip
    for r in runs:
        lines += throughput_lines(r)
    compare = ["## Modes side by side", "",
               "| mode | audio h per CPU-core-h (most calls) | speaker labels en / zh | WER en (agent / customer) | "
               "CER zh (agent / customer) | required phrase P / R | forbidden phrase P / R |",
               "|---|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    detail: list[str] = []
    for mode in args.modes:
        mine = [r for r in runs if r.get("mode", "channels") == mode]
        if not mine:
            continue
        full = max(mine, key=lambda r: len(r["results"]))  # accuracy from the run over every call
        results = {x["call_id"]: x for x in full["results"]}
        for x in results.values():
            if "error" not in x and (x.get("rules") is None or args.rescore) and rules_available():
                x["rules"] = rescore(x, dur[x["call_id"]])
        errors = [x for x in full["results"] if "error" in x]
        summary: dict = {}
        detail += [f"## Accuracy: {mode}", "",
                   f"Errors: {len(errors)}" + "".join(f"\n- {e['call_id']}: {e['error']}" for e in errors), ""]  # fmt: skip
        detail += evaluate(calls, results, summary) + [""]

        def pr(kind, summary=summary):
            tp, fp, fn = summary.get(kind, (0, 0, 0))
            return f"{tp / max(tp + fp, 1):.2f} / {tp / max(tp + fn, 1):.2f}"

        compare.append(
            f"| {mode} | {audio_per_cpu(full):.1f} | {summary.get('labels_en', float('nan')):.3f} / "
            f"{summary.get('labels_zh', float('nan')):.3f} | {summary.get('err_en_agent', float('nan')):.3f} / "
            f"{summary.get('err_en_customer', float('nan')):.3f} | {summary.get('err_zh_agent', float('nan')):.3f} / "
            f"{summary.get('err_zh_customer', float('nan')):.3f} | {pr('required_phrase')} | {pr('forbidden_phrase')} |"
        )
    if args.truth_text:
        truth = {c["call_id"]: truth_result(c) for c in calls}
        rows = evaluate(calls, truth, {}, only_rules=True)
        detail += ["## Rules on the reference text (what was said, at the truth times)", ""] + rows + [""]
    lines += [""] + compare + [""] + detail
    if not rules_available():
        lines += ["", "callqa.rules is not available here: rule precision/recall not measured."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
