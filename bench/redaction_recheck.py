"""Screen the uncovered-speech recheck (recordings/deid_recheck.py, issue 10) by time; not a test.

    .venv/bin/python bench/redaction_recheck.py --calls 60 --seed 1 [--limit N] [--min-prob 0.5,0.6,0.7]

Reads the corpus and the transcripts bench/redaction.py cached, decodes every uncovered stretch
of each call again (cropped audio, same engine and model; the decoded words are cached per call
under var/bench/deid/seed<N>/recheck/, so other thresholds replay in seconds), adds the words the
recheck accepts and plans with ``new``; ``--base`` (default new@HEAD) plans the original
transcripts. Figures as in bench/redaction_why.py (harmless speech muted, PII time unmuted, by
time; no audio rendered), plus the decoding cost per call and what was accepted where.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.deid_corpus import build_corpus  # noqa: E402
from bench.redaction_eval import cached_decoder, live_decoder  # noqa: E402
from bench.redaction_why import _model_tag, _setup_django, evaluate, load_transcripts, summary  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--calls", type=int, default=60)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--only", default="")
    p.add_argument("--base", default="new@HEAD")
    p.add_argument("--min-prob", default="0.6", help="thresholds; a trailing w: doubtful words left out, not rejecting")
    p.add_argument("--engine", default="faster-whisper")
    p.add_argument("--model", default="pkg:base")
    p.add_argument("--decode", default="today")
    p.add_argument("--details", action="store_true")
    p.add_argument(
        "--cached-only", action="store_true", help="only calls whose stretches were decoded before (no decoding now)"
    )
    p.add_argument("--out", default="")
    args = p.parse_args()
    _setup_django()
    from django.conf import settings

    from recordings.deid_recheck import recheck_uncovered

    pad_s = float(settings.RECORDING_MUTE_PAD_S)
    corpus, calls, _info = build_corpus(args.calls, args.seed)
    if args.limit:
        calls = calls[: args.limit]
    if args.only:
        keep = set(args.only.split(","))
        calls = [c for c in calls if c.call_id in keep]
    tag = f"{args.engine}-{_model_tag(args.model)}-{args.decode}"
    if args.cached_only:
        calls = [c for c in calls if (corpus / "recheck" / tag / f"{c.call_id}.pkl").exists()]
    trs = load_transcripts(corpus, calls, tag)
    by_id = {c.call_id: c for c in calls}
    decoders = {}
    cost = {}
    for c in calls:
        tr = trs.get(c.call_id)
        if tr is None:
            continue
        lang = "en" if (tr.language or "").startswith("en") else "zh"
        live = live_decoder(
            corpus / c.orig16k,
            engine=args.engine,
            model=args.model,
            model_cache=Path(settings.TRANSCRIPTION_MODEL_CACHE),
            language=lang,
        )
        decode, save, stats = cached_decoder(corpus / "recheck" / tag / f"{c.call_id}.pkl", live)
        # decode every stretch once (threshold-independent), then replay per threshold
        recheck_uncovered(tr.segments, tr.speech, decode, duration_s=tr.duration_s or c.duration_s, min_prob=0.0)
        save()
        decoders[c.call_id] = decode
        cost[c.call_id] = stats["wall"]
        if stats["new"]:
            print(f"{c.call_id}: {stats['new']} stretches decoded in {stats['wall']:.1f} s", file=sys.stderr)

    lines = [
        f"# Uncovered-speech recheck, by time ({len(trs)} calls, seed {args.seed}, {tag}, pad {pad_s} s)",
        "",
        "| method | ok / review | harmless muted: all / ok calls | by language | harmless s by reason "
        "| PII time unmuted: all / ok calls |",
        "|---|---|---|---|---|---|",
    ]
    base = evaluate(args.base, calls, trs, pad_s)
    lines += summary(args.base, base, by_id)
    lines += summary("new (no recheck)", evaluate("new", calls, trs, pad_s), by_id)
    details = []
    variants = [(float(x.rstrip("w")), x.endswith("w")) for x in args.min_prob.split(",")]
    for mp, per_word in variants:
        rtrs, accepted_s, tried_s, n_acc, n_tried = {}, 0.0, 0.0, 0, 0
        for cid, tr in trs.items():
            res = recheck_uncovered(
                tr.segments,
                tr.speech,
                decoders[cid],
                duration_s=tr.duration_s or by_id[cid].duration_s,
                min_prob=mp,
                per_word=per_word,
            )
            rtrs[cid] = type(tr)(**{**tr.__dict__, "segments": res.segments})
            n_tried += len(res.tried)
            n_acc += len(res.accepted)
            tried_s += sum(b - a for a, b in res.tried)
            accepted_s += sum(b - a for a, b, _t in res.accepted)
            if args.details:
                for a, b, t in res.accepted:
                    details.append(f"- p≥{mp}{' per word' if per_word else ''} {cid} {a:.2f}-{b:.2f} accepted `{t}`")
                for a, b, why in res.rejected:
                    details.append(f"- p≥{mp}{' per word' if per_word else ''} {cid} {a:.2f}-{b:.2f} rejected: {why}")
        name = f"new + recheck p≥{mp}" + (" per word" if per_word else "")
        r = evaluate("new", calls, rtrs, pad_s)
        lines += summary(name, r, by_id)
        lines.append(f"|  ↳ {n_acc} of {n_tried} stretches accepted ({accepted_s:.1f} of {tried_s:.1f} s) | | | | | |")
        for cid in sorted(r):
            ra, rb = base[cid], r[cid]
            ea, eb = sum(ra["pii_exposed"]), sum(rb["pii_exposed"])
            if (ra["status"], round(ra["harmless_muted_s"], 2), round(ea, 2)) != (
                rb["status"], round(rb["harmless_muted_s"], 2), round(eb, 2)
            ):  # fmt: skip
                flag = " **PII exposure up**" if eb > ea + 0.01 else ""
                if rb["status"] == "ok" and eb > 0.01:
                    flag += " **FALSE-SAFE (ok with PII unmuted)**"
                details.append(
                    f"- p≥{mp}{' per word' if per_word else ''} {cid}: {ra['status']} → {rb['status']}; harmless muted {ra['harmless_muted_s']:.2f}"
                    f" → {rb['harmless_muted_s']:.2f} s; PII unmuted {ea:.2f} → {eb:.2f} s{flag}"
                )
    spent = [v for v in cost.values() if v > 0]
    lines += [
        "",
        f"Decoding cost (this run, stretches not cached before): {sum(spent):.1f} s wall over {len(spent)} calls"
        + (f" ({sum(spent) / len(spent):.1f} s per call)" if spent else ""),
        "",
        "## Details",
        "",
        *details,
    ]
    text = "\n".join(lines) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
