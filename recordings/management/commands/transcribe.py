"""Transcribe an audio file with the configured (or given) engine: for operators and benchmarks.

    manage.py transcribe call.wav [--engine openai-whisper] [--model pkg:tiny.en] [--language auto] [--json]
    manage.py transcribe call.wav --redact [--audio-out listening.wav] [--json]

Prints the segments (the ORIGINAL text: operators run this on files they hold) with
timings. ``--redact`` prints only the de-identified text, the mute spans with their reasons
and the status the product would store (no raw text at all), and ``--audio-out`` writes the
listening copy exactly as the product would store it. Nothing is stored in the database.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recordings.pipeline import transcribe_audio
from recordings.services.transcription import has_speech, listening_plan


class Command(BaseCommand):
    help = "Transcribe an audio file and print the segments (or JSON)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--engine", default=settings.TRANSCRIPTION_ENGINE, help="faster-whisper | openai-whisper")
        parser.add_argument(
            "--model", default=settings.TRANSCRIPTION_MODEL, help="pkg:base, pkg:tiny.en, a name or a path"
        )
        parser.add_argument("--language", default="auto", choices=["zh", "en", "auto"], help="zh, en or auto")
        parser.add_argument("--threads", type=int, default=settings.TRANSCRIPTION_CPU_THREADS)
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument("--redact", action="store_true", help="print de-identified text and the mute spans only")
        parser.add_argument("--audio-out", help="with --redact: write the listening copy (.wav, .mp3, .ogg, .m4a)")

    def handle(self, *args, **o):
        from recordings.speech import audio

        src = Path(o["file"])
        if not src.is_file():
            raise CommandError(f"No such file: {src}")
        try:
            info = audio.validate_upload(
                src, max_bytes=settings.RECORDING_MAX_BYTES, max_duration_s=settings.RECORDING_MAX_DURATION_S
            )
        except audio.AudioRejected as exc:
            raise CommandError(str(exc)) from exc
        if o["audio_out"] and not o["redact"]:
            raise CommandError("--audio-out needs --redact (the listening copy is the de-identified one).")
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="voc-transcribe-") as tmp:
            wav = audio.decode_to_wav16k(src, Path(tmp) / "a.wav", timeout_s=120 + 0.5 * info.duration_s)
            t = transcribe_audio(
                wav,
                engine_name=o["engine"],
                model_spec=o["model"],
                cache_dir=Path(settings.TRANSCRIPTION_MODEL_CACHE),
                language=o["language"],
                cpu_threads=o["threads"],
            )
            plan = listening_plan(t, duration_s=t.duration_s or info.duration_s)
            if o["audio_out"] and has_speech(t, plan):
                from recordings.speech import redact_audio

                try:
                    redact_audio.render_redacted(wav, o["audio_out"], plan.mute_times)
                except redact_audio.RedactionError as exc:
                    raise CommandError(f"The listening copy could not be written: {exc}") from exc
        elapsed = time.perf_counter() - started
        texts = [p.redacted if o["redact"] else p.text for p in plan.segments]
        if o["json"]:
            out = {
                "file": str(src),
                "engine": t.engine,
                "model": t.model,
                "language": t.language,
                "duration_s": info.duration_s,
                "elapsed_s": round(elapsed, 3),
                "rtf": round(elapsed / info.duration_s, 4) if info.duration_s else None,
                "segments": [
                    {"start": seg.start, "end": seg.end, "text": text, "confidence": conf}
                    for seg, text, conf in zip(t.segments, texts, t.confidences, strict=True)
                ],
            }
            if o["redact"]:
                out["redaction"] = plan.status if has_speech(t, plan) else "none"
                out["review"] = plan.review
                out["mute"] = [{"start": a, "end": b, "reason": r} for a, b, r in plan.mute]
                out["muted_seconds"] = plan.muted_s | {"total": plan.muted_total_s}
                out["uncovered_speech_s"] = plan.uncovered_s
                if o["audio_out"]:
                    out["audio_out"] = o["audio_out"] if has_speech(t, plan) else None
            self.stdout.write(json.dumps(out, ensure_ascii=False, indent=2))
            return
        for seg, text in zip(t.segments, texts, strict=True):
            self.stdout.write(f"[{seg.start:7.2f} → {seg.end:7.2f}] {text}")
        if not t.segments:
            self.stdout.write("(no speech)")
        if o["redact"]:
            status = plan.status if has_speech(t, plan) else "none"
            self.stdout.write(f"redaction: {status}; muted {plan.muted_total_s:.1f} s " + str(plan.muted_s))
            for reason in plan.review:
                self.stdout.write(f"needs review: {reason}")
        self.stderr.write(
            f"{t.engine} {t.model} lang={t.language} audio={info.duration_s:.1f}s elapsed={elapsed:.1f}s "
            f"rtf={elapsed / info.duration_s if info.duration_s else 0:.3f}"
        )
