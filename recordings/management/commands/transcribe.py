"""Transcribe an audio file with the configured (or given) engine: for operators and benchmarks.

    manage.py transcribe call.wav [--engine openai-whisper] [--model pkg:tiny.en] [--language auto] [--json]
    manage.py transcribe call.wav --redact [--audio-out listening.wav] [--json]
    manage.py transcribe stereo-call.wav [--stereo-mode downmix]

A stereo call (agent and customer on their own channels) is transcribed as the product does
(``recordings.stereo``): each segment is printed with its speaker (RECORDING_CHANNEL_SPEAKERS), the
listening copy keeps both channels. A mono file, or a stereo file whose channels carry the same
audio, has one unknown speaker and says so. Prints the segments (the ORIGINAL text: operators run
this on files they hold) with timings. ``--redact`` prints only the de-identified text, the mute spans with their reasons
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

from recordings import stereo
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
        parser.add_argument(
            "--stereo-mode",
            default=settings.RECORDING_STEREO_TRANSCRIPTION,
            choices=stereo.STEREO_MODES,
            help="a stereo call: each channel on its own, or one pass over the mix (words to the louder channel)",
        )

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
            try:
                speakers = stereo.channel_speakers(settings.RECORDING_CHANNEL_SPEAKERS)
                decoded = audio.decode_call(
                    src, Path(tmp), timeout_s=120 + 0.5 * info.duration_s, channels=info.channels
                )
            except (ValueError, audio.AudioRejected) as exc:
                raise CommandError(str(exc)) from exc
            t = stereo.transcribe_call_audio(
                decoded,
                language=o["language"],
                speakers=speakers,
                mode=o["stereo_mode"],
                engine_name=o["engine"],
                model_spec=o["model"],
                cache_dir=Path(settings.TRANSCRIPTION_MODEL_CACHE),
                cpu_threads=o["threads"],
            )
            wav = decoded.stereo_wav if decoded.stereo else decoded.mono
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
                "layout": decoded.layout,
                "layout_note": decoded.note,
                "elapsed_s": round(elapsed, 3),
                "rtf": round(elapsed / info.duration_s, 4) if info.duration_s else None,
                "segments": [
                    {"start": seg.start, "end": seg.end, "speaker": t.speaker_of(i), "text": text, "confidence": conf}
                    for i, (seg, text, conf) in enumerate(zip(t.segments, texts, t.confidences, strict=True))
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
        if decoded.stereo:
            self.stdout.write(f"stereo: {' / '.join(speakers)} ({o['stereo_mode']})")
        else:
            self.stdout.write("mono: one speaker, not told apart" + (f" ({decoded.note})" if decoded.note else ""))
        for i, (seg, text) in enumerate(zip(t.segments, texts, strict=True)):
            who = f"{t.speaker_of(i)}: " if decoded.stereo else ""
            self.stdout.write(f"[{seg.start:7.2f} → {seg.end:7.2f}] {who}{text}")
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
