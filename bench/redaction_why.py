"""Which harmless speech does the listening-copy planner mute, and why? (issue 10; not a test)

    .venv/bin/python bench/redaction_why.py --calls 60 --seed 1 [--limit N] \\
        [--methods new@HEAD,new] [--why new] [--examples 30] [--out FILE]

Reads the corpus and the transcripts bench/redaction.py cached (var/bench/deid/seed<N>/transcripts/
<engine>-<model>-<decode>/<call>.pkl; run that first) and plans every call with each METHOD
(``new`` = this checkout, ``new@REV`` = the planner committed at REV, bench/redaction_planners.py).
Nothing is rendered or re-transcribed: the figures are times, so they screen a planner change in
seconds; bench/redaction.py measures the audio.

Per method: ok / review; harmless speech under the mute (10 ms frames of the truth's harmless
spans, over all harmless time), split by the reason of the merged mute span; PII time left
unmuted (PII spans of the truth not under the mute, all calls and ok calls) and the spans that
have any; per call, where two methods differ.

``--why METHOD`` (``new`` only: it needs ``run_layers``): per reason, the harmless seconds that
reason's own (padded) spans cover, and those only it covers (what dropping it would give back);
the words the layers marked inside harmless speech, by reason and text; examples.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.deid_corpus import Call, build_corpus  # noqa: E402
from bench.redaction_planners import deid_module, planner  # noqa: E402

FRAME_S = 0.01


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voc.settings")
    import django

    django.setup()


def _model_tag(model: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9.]+", "_", model).strip("_")


def load_transcripts(corpus: Path, calls: list[Call], tag: str) -> dict:
    out, missing = {}, []
    for c in calls:
        path = corpus / "transcripts" / tag / f"{c.call_id}.pkl"
        if not path.exists():
            missing.append(c.call_id)
            continue
        with path.open("rb") as fh:
            out[c.call_id] = pickle.load(fh)["transcript"]
    if missing:
        print(f"!! no cached transcript for {len(missing)} call(s) ({', '.join(missing[:8])} ...): "
              f"run bench/redaction.py first; they are left out", file=sys.stderr)  # fmt: skip
    return out


def _lang(tr) -> str:
    return "en" if (tr.language or "").startswith("en") else "zh"


def _mask(spans, n: int) -> np.ndarray:
    m = np.zeros(n, dtype=bool)
    for a, b in spans:
        m[max(0, int(a / FRAME_S)) : max(0, int(np.ceil(b / FRAME_S)))] = True
    return m


def _span_mask(spans, n: int) -> np.ndarray:
    return _mask([(s.start, s.end) for s in spans], n)


def evaluate(method: str, calls: list[Call], trs: dict, pad_s: float) -> dict[str, dict]:
    plan_fn = planner(method)
    out = {}
    for c in calls:
        tr = trs.get(c.call_id)
        if tr is None:
            continue
        duration = tr.duration_s or c.duration_s
        plan = plan_fn(tr.segments, speech=tr.speech, language=_lang(tr), duration_s=duration, pad_s=pad_s)
        n = int(np.ceil(max(duration, c.duration_s) / FRAME_S)) + 1
        harmless = _span_mask(c.harmless, n)
        by_reason = {}
        for a, b, r in plan.mute:
            m = _mask([(a, b)], n) & harmless
            by_reason[r] = by_reason.get(r, 0.0) + float(m.sum()) * FRAME_S
        mute = _mask([(a, b) for a, b, _r in plan.mute], n)
        exposed = []
        for s in c.pii:
            m = _span_mask([s], n)
            exposed.append(float((m & ~mute).sum()) * FRAME_S)
        out[c.call_id] = {
            "status": plan.status,
            "review": list(plan.review),
            "harmless_s": float(harmless.sum()) * FRAME_S,
            "harmless_muted_s": float((harmless & mute).sum()) * FRAME_S,
            "by_reason": by_reason,
            "pii_exposed": exposed,
            "muted_s": float(mute.sum()) * FRAME_S,
        }
    return out


def summary(method: str, res: dict[str, dict], calls: dict[str, Call]) -> list[str]:
    ok = [k for k, r in res.items() if r["status"] == "ok"]
    hs = sum(r["harmless_s"] for r in res.values())
    hm = sum(r["harmless_muted_s"] for r in res.values())
    hs_ok = sum(res[k]["harmless_s"] for k in ok)
    hm_ok = sum(res[k]["harmless_muted_s"] for k in ok)
    reasons: Counter = Counter()
    for r in res.values():
        reasons.update(r["by_reason"])
    exp = sum(sum(r["pii_exposed"]) for r in res.values())
    exp_ok = sum(sum(res[k]["pii_exposed"]) for k in ok)
    spans_exp = sum(sum(e > 0.05 for e in r["pii_exposed"]) for r in res.values())
    spans_exp_ok = sum(sum(e > 0.05 for e in res[k]["pii_exposed"]) for k in ok)
    by_lang = defaultdict(lambda: [0.0, 0.0])
    for k, r in res.items():
        by_lang[calls[k].lang][0] += r["harmless_muted_s"]
        by_lang[calls[k].lang][1] += r["harmless_s"]
    return [
        f"| {method} | {len(ok)} / {len(res) - len(ok)} | {100 * hm / hs:.1f} % / "
        f"{(100 * hm_ok / hs_ok) if hs_ok else 0:.1f} % | "
        + " / ".join(f"{lang} {100 * a / b:.1f} %" for lang, (a, b) in sorted(by_lang.items()))
        + " | "
        + ", ".join(f"{k} {v:.0f}" for k, v in reasons.most_common())
        + f" | {exp:.1f} s ({spans_exp} spans) / {exp_ok:.1f} s ({spans_exp_ok} spans) |"
    ]


def why(deid, calls: list[Call], trs: dict, pad_s: float, examples: int) -> list[str]:
    from recordings.redaction import merge_spans

    own: Counter = Counter()  # harmless seconds under a reason's own padded spans (inside the final mute)
    sole: Counter = Counter()  # ... that no other reason's spans cover
    words: dict[str, Counter] = defaultdict(Counter)  # reason -> token text -> seconds in harmless speech
    ex: dict[str, list[str]] = defaultdict(list)
    by_distance: Counter = Counter()  # harmless seconds muted within a distance of true PII speech
    by_place: Counter = Counter()  # harmless seconds muted by where the phrase sits
    for c in calls:
        tr = trs.get(c.call_id)
        if tr is None:
            continue
        duration = tr.duration_s or c.duration_s
        try:
            found = deid.run_layers(tr.segments, speech=tr.speech, duration_s=duration, pad_s=pad_s)
        except TypeError:  # a planner from before run_layers took pad_s (28a38cb)
            found = deid.run_layers(tr.segments, speech=tr.speech, duration_s=duration)
        n = int(np.ceil(max(duration, c.duration_s) / FRAME_S)) + 1
        harmless = _span_mask(c.harmless, n)
        masks = {
            r: _mask(merge_spans(s, pad_s=pad_s, duration_s=duration), n) & harmless
            for r, s in found.spans.items()
            if s
        }
        final = (
            _mask(
                [
                    (a, b)
                    for a, b, _r in deid.plan_listening_copy(
                        tr.segments, speech=tr.speech, language=_lang(tr), duration_s=duration, pad_s=pad_s
                    ).mute
                ],
                n,
            )
            & harmless
        )
        pii = _span_mask(c.pii, n)
        for label, reach in (("< 0.5 s", 0.5), ("< 2 s", 2.0)):
            near = _mask([(x.start - reach, x.end + reach) for x in c.pii], n) & ~pii
            by_distance[label] += float((final & near).sum()) * FRAME_S
        by_distance["all"] += float(final.sum()) * FRAME_S
        for h in c.harmless:  # where the phrase sits: right before a number (its cue), right after one, elsewhere
            before = any(0 <= x.start - h.end <= 1.0 for x in c.pii)
            after = any(0 <= h.start - x.end <= 1.0 for x in c.pii)
            where = "before PII" if before else "after PII" if after else "elsewhere"
            hm = _span_mask([h], n)
            by_place[where] += float((final & hm).sum()) * FRAME_S
            by_place[where + " (of)"] += float(hm.sum()) * FRAME_S
        for r, m in masks.items():
            own[r] += float(m.sum()) * FRAME_S
            others = np.zeros(n, dtype=bool)
            for r2, m2 in masks.items():
                if r2 != r:
                    others |= m2
            sole[r] += float((m & ~others).sum()) * FRAME_S
        for t in found.tokens:
            inside = sum(max(0.0, min(t.end, s.end) - max(t.start, s.start)) for s in c.harmless)
            if inside <= 0.5 * max(t.end - t.start, 1e-3):
                continue
            for r in t.reasons:
                key = t.text.strip()
                flags = "".join(
                    f for f, on in (("W", t.weight), ("N", t.near), ("C", t.cue), ("L", t.letter),
                                    ("?", not t.confident), ("R", t.repeat), ("F", t.filler)) if on
                )  # fmt: skip
                words[r][f"{key} [{flags}]"] += inside
        for s in c.harmless:
            m = _span_mask([s], n)
            parts = {r: float((mm & m).sum()) * FRAME_S for r, mm in masks.items()}
            parts = {r: v for r, v in parts.items() if v >= 0.3}
            if not parts:
                continue
            heard = " ".join(
                f"{t.text.strip()}<{','.join(sorted(t.reasons)) or '-'}{'' if t.confident else '?'}>"
                for t in found.tokens
                if s.start - 0.3 <= t.start <= s.end + 0.3
            )
            unc = [(round(a, 2), round(b, 2)) for a, b in found.uncovered if a < s.end and s.start < b]
            for r in parts:
                if len(ex[r]) < examples:
                    ex[r].append(
                        f"- {c.call_id} {s.start:.1f}-{s.end:.1f} `{s.text[:70]}` muted "
                        + ", ".join(f"{k} {v:.1f}s" for k, v in parts.items())
                        + f" — heard: {heard[:260]}"
                        + (f" — uncovered {unc}" if unc and r == "uncovered" else "")
                    )
    lines = [
        "",
        "## Why (harmless seconds, per reason)",
        "",
        "| reason | own spans | only this reason |",
        "|---|---|---|",
    ]
    for r, v in own.most_common():
        lines.append(f"| {r} | {v:.1f} | {sole[r]:.1f} |")
    lines += ["", "Harmless seconds muted within 0.5 s / 2 s of true PII speech / all: "
              + " / ".join(f"{by_distance[k]:.1f}" for k in ("< 0.5 s", "< 2 s", "all"))]  # fmt: skip
    lines += ["", "Harmless phrases right before a PII span (≤ 1 s: the cue phrase), right after one, elsewhere — "
              "muted s of s: " + "; ".join(f"{k} {by_place[k]:.1f} of {by_place[k + ' (of)']:.1f}"
                                         for k in ("before PII", "after PII", "elsewhere"))]  # fmt: skip
    for r, counter in words.items():
        lines += ["", f"### Words marked `{r}` inside harmless speech (seconds)", ""]
        lines.append(", ".join(f"{k} {v:.1f}" for k, v in counter.most_common(60)))
    for r, items in ex.items():
        lines += ["", f"### Examples: {r}", "", *items]
    return lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--calls", type=int, default=60)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--only", default="", help="comma-separated call ids")
    p.add_argument("--methods", default="new@HEAD,new")
    p.add_argument("--why", default="", help="explain this method's muting (new, or new@REV from 88c0179 on)")
    p.add_argument("--examples", type=int, default=25)
    p.add_argument(
        "--why-status", default="", help="explain only calls with this status under --why (ok, needs_review)"
    )
    p.add_argument("--engine", default="faster-whisper")
    p.add_argument("--model", default="pkg:base")
    p.add_argument("--decode", default="today")
    p.add_argument("--pad", type=float, default=None, help="default settings.RECORDING_MUTE_PAD_S")
    p.add_argument("--out", default="")
    args = p.parse_args()
    _setup_django()
    from django.conf import settings

    pad_s = float(settings.RECORDING_MUTE_PAD_S if args.pad is None else args.pad)
    corpus, calls, _info = build_corpus(args.calls, args.seed)
    if args.limit:
        calls = calls[: args.limit]
    if args.only:
        keep = set(args.only.split(","))
        calls = [c for c in calls if c.call_id in keep]
    trs = load_transcripts(corpus, calls, f"{args.engine}-{_model_tag(args.model)}-{args.decode}")
    by_id = {c.call_id: c for c in calls}
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    results = {m: evaluate(m, calls, trs, pad_s) for m in methods}
    lines = [
        f"# Harmless speech muted, by time ({len(trs)} calls, seed {args.seed}, {args.engine} {args.model} "
        f"[{args.decode}], pad {pad_s} s)",
        "",
        "| method | ok / review | harmless muted: all / ok calls | by language | harmless s by reason "
        "| PII time unmuted: all / ok calls |",
        "|---|---|---|---|---|---|",
    ]
    for m in methods:
        lines += summary(m, results[m], by_id)
    if len(methods) >= 2:
        a, b = methods[0], methods[-1]
        lines += ["", f"## Calls that differ ({a} → {b})", ""]
        for k in sorted(results[b]):
            ra, rb = results[a][k], results[b][k]
            ea, eb = sum(ra["pii_exposed"]), sum(rb["pii_exposed"])
            if (ra["status"], round(ra["harmless_muted_s"], 2), round(ea, 2)) != (
                rb["status"], round(rb["harmless_muted_s"], 2), round(eb, 2)
            ):  # fmt: skip
                flag = " **PII exposure up**" if eb > ea + 0.01 else ""
                lines.append(
                    f"- {k}: {ra['status']} → {rb['status']}; harmless muted {ra['harmless_muted_s']:.2f} → "
                    f"{rb['harmless_muted_s']:.2f} s; PII unmuted {ea:.2f} → {eb:.2f} s{flag}"
                    + (f"; review: {'; '.join(rb['review'])[:200]}" if rb["status"] != "ok" else "")
                )
    if args.why:
        chosen = [c for c in calls if c.call_id in results.get(args.why, {})]
        if args.why_status and args.why in results:
            chosen = [c for c in chosen if results[args.why][c.call_id]["status"] == args.why_status]
        lines += ["", f"Explained: {len(chosen)} calls" + (f" ({args.why_status})" if args.why_status else "")]
        lines += why(deid_module(args.why), chosen, trs, pad_s, args.examples)
    text = "\n".join(lines) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
