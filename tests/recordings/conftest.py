"""Fixtures for recordings: private media in a temp dir, the fast English model, unequal
branches (BJ 3 recordings, SH 5), recording rows with small real audio files, and audio
made at test time with espeak-ng + sox (``tests.recordings.audio_factory``)."""

from __future__ import annotations

import shutil
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts import roles
from recordings.models import CallRecording, TranscriptSegment
from tests.complaints.factories import ComplaintFactory
from tests.recordings import audio_factory as af

MODEL_CACHE = Path(django_settings.BASE_DIR) / "var" / "models"


@pytest.fixture(autouse=True)
def _recording_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TRANSCRIPTION_ENGINE = "faster-whisper"
    settings.TRANSCRIPTION_MODEL = "pkg:tiny.en"  # English-only and fast: the tests speak English
    settings.TRANSCRIPTION_MODEL_CACHE = MODEL_CACHE
    settings.RECORDING_MAX_ATTEMPTS = 3
    settings.CELERY_TASK_ALWAYS_EAGER = False


# --- audio made at test time -------------------------------------------------------------


def tts(path: Path, text: str, *, voice: str = "en", speed: int = 140) -> Path:
    """Speech with espeak-ng at telephone quality (8 kHz mono), via the speech tests' factory."""
    raw = af.speak(path.with_name(path.stem + "-raw.wav"), text, voice=voice, speed=speed)
    af.telephone(raw, path)
    raw.unlink()
    return path


def silence(path: Path, seconds: float, *, rate: int = 8000) -> Path:
    return af.silence(path, seconds, rate=rate)


def tone(path: Path, seconds: float = 1.0, *, rate: int = 8000, freq: int = 440) -> Path:
    return af.tone(path, seconds, hz=freq, rate=rate)


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float64)
        return data, w.getframerate()


def upload_of(path: Path, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes(), content_type="audio/wav")


CARD_CALL = (
    "Hello, I want to complain about the annual fee on my credit card. "
    "My card number is 6 2 2 2 0 2 1 2 3 4 5 6 7 8 9 0. "
    "My phone number is 1 3 8 1 2 3 4 5 6 7 8. "
    "Please refund the fee to me."
)


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("audio")


@pytest.fixture(scope="session")
def card_call_wav(audio_dir) -> Path:
    return tts(audio_dir / "card_call.wav", CARD_CALL)


@pytest.fixture(scope="session")
def short_tone_wav(audio_dir) -> Path:
    return tone(audio_dir / "tone.wav", 1.0)


# --- people and cases (unequal branches: BJ has 3 recordings, SH has 5) ---------------------


@dataclass
class People:
    agent: object
    ho_officer: object
    auditor: object
    ho_listener: object
    bj_handler: object
    bj_manager: object
    bj_listener: object
    bj_cy_handler: object
    sh_handler: object
    sh_listener: object


@pytest.fixture
def people(org_tree, make_user) -> People:
    return People(
        agent=make_user(roles.AGENT, org_tree.ho),
        ho_officer=make_user(roles.HO_OFFICER, org_tree.ho),
        auditor=make_user(roles.AUDITOR, org_tree.ho),
        ho_listener=make_user(roles.LISTENING_MANAGER, org_tree.ho),
        bj_handler=make_user(roles.BRANCH_HANDLER, org_tree.bj),
        bj_manager=make_user(roles.BRANCH_MANAGER, org_tree.bj),
        bj_listener=make_user(roles.LISTENING_MANAGER, org_tree.bj),
        bj_cy_handler=make_user(roles.BRANCH_HANDLER, org_tree.bj_cy),
        sh_handler=make_user(roles.BRANCH_HANDLER, org_tree.sh),
        sh_listener=make_user(roles.LISTENING_MANAGER, org_tree.sh),
    )


def make_recording(complaint, *, owner_org=None, status=CallRecording.Status.DONE, redacted=True, tag="x", **extra):
    """A recording row with small real WAV files (original and 'redacted'), built directly."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    n = CallRecording.objects.count() + 1
    sha = f"{tag}{n:063d}"[-64:]
    original = default_storage.save(f"recordings/original/{sha}.wav", ContentFile(_tiny_wav(440)))
    red = default_storage.save(f"recordings/redacted/{sha}.wav", ContentFile(_tiny_wav(1000))) if redacted else ""
    rec = CallRecording.objects.create(
        complaint=complaint,
        owner_org=owner_org or complaint.responsible_org,
        file=original,
        redacted_file=red,
        original_name=f"call-{n}.wav",
        size_bytes=1000,
        sha256=sha,
        audio_format="wav",
        duration_s=1.0,
        status=status,
        redaction=CallRecording.Redaction.OK if redacted else CallRecording.Redaction.FAILED,
        redaction_note="" if redacted else "segment 0: sensitive text without word times",
        queued_at=timezone.now(),
        **extra,
    )
    TranscriptSegment.objects.create(
        recording=rec,
        index=0,
        start=0.0,
        end=1.0,
        text_original="my card is 6222021234567890",
        text_redacted=f"my card is [card number removed] annual fee {tag}",
        has_sensitive=True,
    )
    return rec


def _tiny_wav(freq: int) -> bytes:
    import io

    t = np.arange(8000) / 8000
    samples = (np.sin(2 * np.pi * freq * t) * 8000).astype(np.int16)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(samples.tobytes())
    return buf.getvalue()


@dataclass
class Estate:
    bj_cases: list
    sh_cases: list
    bj_recs: list
    sh_recs: list


@pytest.fixture
def estate(org_tree, people) -> Estate:
    bj_cases = [ComplaintFactory(responsible_org=org_tree.bj), ComplaintFactory(responsible_org=org_tree.bj_cy)]
    sh_cases = [ComplaintFactory(responsible_org=org_tree.sh) for _ in range(3)]
    bj_recs = [
        make_recording(bj_cases[0], tag="bj"),
        make_recording(bj_cases[0], tag="bj"),
        make_recording(bj_cases[1], tag="bjcy"),
    ]
    sh_recs = [make_recording(c, tag="sh") for c in sh_cases] + [
        make_recording(sh_cases[0], tag="sh") for _ in range(2)
    ]
    return Estate(bj_cases, sh_cases, bj_recs, sh_recs)


def has_tool(name: str) -> bool:
    return shutil.which(name) is not None
