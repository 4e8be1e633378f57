"""Control for the de-identification planner: real read speech with no personal data.

The evaluation set (bench/redaction.py) is synthetic espeak speech in noise, on which the
recogniser is unsure of almost everything, so the planner mutes much of it. This control asks
the other question: on real human speech that holds no number, how much does the listening
copy lose, and is it released without review? Clips: LibriVox excerpts from Debian's
pocketsphinx-testdata (/usr/share/pocketsphinx/test/data/librivox), at 16 kHz and at 8 kHz
telephone quality.

    .venv/bin/python bench/deid_real_speech.py [--engines faster-whisper,openai-whisper]

Writes bench/results/deid-real-speech-<date>.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voc.settings")
    import django

    django.setup()
    from django.conf import settings

    from recordings.pipeline import transcribe_audio
    from recordings.services.transcription import listening_plan
    from recordings.speech.audio import decode_to_wav16k

    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="faster-whisper")
    parser.add_argument("--model", default=settings.TRANSCRIPTION_MODEL)
    args = parser.parse_args()
    clips = sorted(LIBRIVOX.glob("*.wav"))
    if not clips:
        sys.exit(f"no clips in {LIBRIVOX}: apt-get install pocketsphinx-testdata")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for engine in args.engines.split(","):
            for clip in clips:
                for rate in (16000, 8000):
                    src = Path(tmp) / f"{clip.stem}-{rate}.wav"
                    subprocess.run(["sox", "-R", str(clip), "-r", str(rate), "-c", "1", str(src)], check=True)
                    wav = decode_to_wav16k(src, Path(tmp) / f"{clip.stem}-{rate}-16k.wav", timeout_s=60)
                    t = transcribe_audio(
                        wav,
                        engine_name=engine,
                        model_spec=args.model,
                        cache_dir=Path(settings.TRANSCRIPTION_MODEL_CACHE),
                        language="en",
                    )
                    plan = listening_plan(t, duration_s=t.duration_s)
                    speech_s = sum(b - a for a, b in (t.speech or []))
                    rows.append((engine, clip.stem, rate, t.duration_s, speech_s, plan))
                    print(f"{engine} {clip.stem} {rate} Hz: {plan.status}, muted {plan.muted_total_s:.2f} s")
    lines = [
        f"# De-identification control: real speech without personal data — {dt.date.today()}",
        "",
        f"Machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        f"Model `{args.model}`. Clips: {len(clips)} LibriVox excerpts (pocketsphinx-testdata), each at 16 kHz "
        "and at 8 kHz.",
        "",
        "| engine | clip | rate | audio s | speech s | status | muted s | muted by reason | review reasons |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for engine, stem, rate, dur, speech_s, plan in rows:
        reasons = ", ".join(f"{k} {v:.2f}" for k, v in plan.muted_s.items() if v) or "—"
        lines.append(
            f"| {engine} | {stem[-4:]} | {rate} | {dur:.1f} | {speech_s:.1f} | {plan.status} | "
            f"{plan.muted_total_s:.2f} | {reasons} | {'; '.join(plan.review) or '—'} |"
        )
    for engine in args.engines.split(","):
        mine = [r for r in rows if r[0] == engine]
        muted = sum(r[5].muted_total_s for r in mine)
        speech = sum(r[4] for r in mine)
        ok = sum(r[5].status == "ok" for r in mine)
        lines += ["", f"- {engine}: {ok} of {len(mine)} ok; muted {muted:.2f} s of {speech:.1f} s of speech "
                  f"({100 * muted / speech if speech else 0:.1f} %)."]  # fmt: skip
    out = ROOT / "bench" / "results" / f"deid-real-speech-{dt.date.today()}.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"written: {out}")


if __name__ == "__main__":
    main()
