"""Aggregation and the Markdown report of bench/redaction.py (issue 10)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.deid_corpus import Call, Span, summarise  # noqa: E402
from bench.redaction_eval import AUDIBLE_CORR, HARMLESS_TARGET, SILENT_DB, _pii_strings  # noqa: E402

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


def _git_commit() -> str:
    try:
        sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True)  # fmt: skip
        return sha.stdout.strip() + (" (working tree has uncommitted changes)" if dirty.stdout.strip() else "")
    except OSError:
        return "?"


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
