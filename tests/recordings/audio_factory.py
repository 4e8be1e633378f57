"""Test audio made on the spot with espeak-ng and sox (Debian packages, no downloads).

English uses espeak-ng's default voice. Mandarin uses ``cmn-latn-pinyin`` with pinyin input
(tone numbers); the plain ``cmn`` voice produces unusable audio. Synthetic speech is robotic, so
tests judge Mandarin loosely.

Every sox call runs with ``-R`` (repeatable): sox dithers when it resamples to 16 bits and seeds
the dither (and synthesised noise) at random otherwise, so each run would make a slightly
different file and a borderline recognition would pass or fail by chance.
"""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

# Sentences and what a recogniser should hear in them.
ENGLISH_TEXT = "Hello, I am calling about my credit card. The bank charged me twice for the same payment."
ENGLISH_EXPECTED_WORDS = ("hello", "calling", "credit", "card", "bank", "charged", "twice", "payment")
# 银行的服务太差了。我要投诉服务。 At espeak speed 130 base recognises the first sentence well.
MANDARIN_PINYIN = "yin2 hang2 de fu2 wu4 tai4 cha4 le. wo3 yao4 tou2 su4 fu2 wu4."
MANDARIN_EXPECTED = ("银行", "服务", "差")

# A card number read digit by digit, for redaction tests.
ENGLISH_CARD_TEXT = "My card number is four five six seven. Thank you."


def tools_available() -> bool:
    return all(shutil.which(t) for t in ("espeak-ng", "sox", "ffmpeg", "ffprobe"))


def _run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)


def speak(dst: Path, text: str, *, voice: str = "en", speed: int = 150) -> Path:
    """espeak-ng to WAV (22.05 kHz mono)."""
    _run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(dst), text])
    return dst


def english(dst: Path, text: str = ENGLISH_TEXT) -> Path:
    return speak(dst, text, voice="en", speed=150)


def mandarin(dst: Path, pinyin: str = MANDARIN_PINYIN) -> Path:
    return speak(dst, pinyin, voice="cmn-latn-pinyin", speed=130)


def telephone(src: Path, dst: Path) -> Path:
    """8 kHz mono 16-bit, as a call recorder stores it."""
    _run(["sox", "-R", "-V1", str(src), "-r", "8000", "-c", "1", "-b", "16", str(dst)])
    return dst


def silence(dst: Path, seconds: float, *, rate: int = 8000) -> Path:
    _run(["sox", "-R", "-n", "-r", str(rate), "-c", "1", "-b", "16", str(dst), "trim", "0", str(seconds)])
    return dst


def hiss(dst: Path, seconds: float, *, rate: int = 8000, volume: float = 0.002) -> Path:
    """Faint pink noise: an open phone line with nobody speaking."""
    noise = ["synth", str(seconds), "pinknoise", "vol", str(volume)]
    _run(["sox", "-R", "-n", "-r", str(rate), "-c", "1", "-b", "16", str(dst), *noise])
    return dst


def tone(dst: Path, seconds: float, *, hz: float = 440, rate: int = 16000) -> Path:
    _run(["sox", "-R", "-n", "-r", str(rate), "-c", "1", "-b", "16", str(dst), "synth", str(seconds), "sine", str(hz)])
    return dst


def concat(dst: Path, *parts: Path) -> Path:
    """Join WAVs (resampled to the first part's format)."""
    _run(["sox", "-R", "-V1", "--combine", "concatenate", *map(str, parts), str(dst)])
    return dst


def silence_then_speech(dst: Path, speech: Path, *, seconds: float, rate: int = 8000) -> Path:
    gap = silence(dst.with_name(dst.stem + "-gap.wav"), seconds, rate=rate)
    speech8k = telephone(speech, dst.with_name(dst.stem + "-speech.wav"))
    return concat(dst, gap, speech8k)


def encode(src: Path, dst: Path) -> Path:
    """Re-encode with ffmpeg; the container/codec follows dst's suffix (.mp3, .m4a, .ogg, .flac)."""
    _run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), str(dst)])
    return dst


# AMR-NB 12.2 kbit/s frames: a header byte (frame type 7, quality bit) and 31 payload bytes, 20 ms each.
_AMR_MAGIC = b"#!AMR\n"
_AMR_122_HEADER = bytes([0x3C])


def amr_nb(dst: Path, seconds: float, *, seed: int = 7) -> Path:
    """A valid AMR-NB file (what many phone systems store). Debian's ffmpeg decodes AMR but
    cannot encode it, so the frames are written directly; their payload is seeded noise, which
    decodes to noise-like audio of the stated length."""
    rng = random.Random(seed)
    frames = (_AMR_122_HEADER + rng.randbytes(31) for _ in range(round(seconds * 50)))
    dst.write_bytes(_AMR_MAGIC + b"".join(frames))
    return dst


def truncated(src: Path, dst: Path, keep_bytes: int) -> Path:
    """The first ``keep_bytes`` bytes of ``src``: 44 = a WAV header and no samples; 20 = a cut header."""
    dst.write_bytes(src.read_bytes()[:keep_bytes])
    return dst


def text_named_wav(dst: Path) -> Path:
    dst.write_text("This is not audio, just a text file with a .wav name.\n", encoding="utf-8")
    return dst


def zero_bytes(dst: Path) -> Path:
    dst.write_bytes(b"")
    return dst


def video_without_audio(dst: Path) -> Path:
    """An MP4 holding only a video stream."""
    _run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "color=c=black:s=64x64:d=1",
            "-c:v",
            "mpeg4",
            str(dst),
        ]
    )
    return dst


def model_cache_dir() -> Path:
    """Where tests keep assembled/converted speech models between runs: the project's
    ``var/models`` (git-ignored), the same directory the Django-side tests use, so each model is
    loaded once per test process. ``SPEECH_TEST_CACHE`` moves it. Tests of the assembly itself
    use fresh directories.
    """
    import os

    default = Path(__file__).resolve().parents[2] / "var" / "models"
    path = Path(os.environ.get("SPEECH_TEST_CACHE") or default)
    path.mkdir(parents=True, exist_ok=True)
    return path
