"""Validate and decode uploaded call recordings.

Django-free. Everything that parses untrusted audio runs in an ffprobe/ffmpeg subprocess with a
time limit (and, for decoding, an address-space limit), so a hostile or broken file can fail a
job but cannot hang or exhaust a worker.

Every rejection is an ``AudioRejected`` with a stable ``code`` (for APIs, logs and metrics) and
a bilingual, user-facing ``message`` ("中文 / English").
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SAMPLE_RATE = 16_000
SNIFF_BYTES = 64
SUPPORTED_LABEL = "WAV, MP3, M4A/AAC, AMR, OGG/Opus, FLAC, WebM"


class AudioRejected(Exception):
    """An upload (or a decode) failed; ``message`` can be shown to the user as is."""

    def __init__(self, code: str, message_zh: str, message_en: str, *, detail: str = "") -> None:
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.detail = detail  # technical detail for logs, not for users (may name paths)
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"{self.message_zh} / {self.message_en}"


class DecodeFailed(AudioRejected):
    """ffmpeg could not turn an accepted upload into 16 kHz WAV (timeout, memory, corrupt data)."""


@dataclass(frozen=True)
class ProbeResult:
    duration_s: float
    codec: str
    sample_rate: int
    channels: int
    format_name: str = ""
    sniffed: str | None = None


# --------------------------------------------------------------------------- magic bytes


def sniff_format(first_bytes: bytes) -> str | None:
    """Name the container from its first bytes, or None when it is not a known audio format.

    Only a cheap first filter (a text file named ``.wav`` stops here); ffprobe decides whether
    the file is really readable.
    """
    b = bytes(first_bytes[:SNIFF_BYTES])
    if len(b) < 4:
        return None
    if b[:4] in (b"RIFF", b"RF64", b"BW64") and b[8:12] == b"WAVE":
        return "wav"
    if b.startswith(b"#!AMR"):  # AMR-NB "#!AMR\n", AMR-WB "#!AMR-WB\n"
        return "amr"
    if b[:4] == b"OggS":
        return "ogg"
    if b[:4] == b"fLaC":
        return "flac"
    if b[4:8] == b"ftyp":  # ISO base media: M4A, MP4, 3GP (phones record AMR/AAC into 3GP)
        return "m4a"
    if b[:4] == b"\x1a\x45\xdf\xa3":  # EBML: WebM/Matroska, what browsers' MediaRecorder writes
        return "webm"
    if b[:3] == b"ID3":
        return "mp3"
    if b[0] == 0xFF and (b[1] & 0xF0) == 0xF0 and (b[1] & 0x06) == 0:
        # ADTS: 12-bit sync, layer bits 00
        return "aac"
    if b[0] == 0xFF and (b[1] & 0xE0) == 0xE0:
        # MPEG audio frame header: 11-bit sync; reject reserved version/layer/bitrate/rate values
        version = (b[1] >> 3) & 0x3
        layer = (b[1] >> 1) & 0x3
        bitrate = b[2] >> 4
        rate = (b[2] >> 2) & 0x3
        if version != 1 and layer != 0 and bitrate != 0xF and rate != 0x3:
            return "mp3"
    return None


# --------------------------------------------------------------------------- ffprobe


def _corrupt(detail: str = "") -> AudioRejected:
    return AudioRejected(
        "corrupt",
        "音频文件已损坏或不完整，无法读取。",
        "The audio file is corrupt or incomplete and cannot be read.",
        detail=detail,
    )


def _last_line(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else ""


def probe(path: str | os.PathLike, timeout: float = 15) -> ProbeResult:
    """Read duration, codec, sample rate and channels of the first audio stream with ffprobe."""
    cmd = [
        _tool("ffprobe"),
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        "--",
        os.fspath(path),
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired as exc:
        raise AudioRejected(
            "probe_timeout",
            f"读取音频信息超时（{timeout:g} 秒），文件可能已损坏。",
            f"Reading the audio information timed out ({timeout:g} s); the file may be corrupt.",
        ) from exc
    if proc.returncode != 0:
        raise _corrupt(_last_line(proc.stderr))
    try:
        info = json.loads(proc.stdout or b"{}")
    except ValueError as exc:
        raise _corrupt() from exc

    streams = [s for s in info.get("streams", []) if s.get("codec_type") == "audio"]
    if not streams:
        raise AudioRejected("no_audio_stream", "文件中没有音频流。", "The file contains no audio stream.")
    stream = streams[0]
    fmt = info.get("format", {})
    duration = _float(stream.get("duration")) or _float(fmt.get("duration")) or 0.0
    return ProbeResult(
        duration_s=duration,
        codec=str(stream.get("codec_name") or ""),
        sample_rate=int(_float(stream.get("sample_rate")) or 0),
        channels=int(stream.get("channels") or 0),
        format_name=str(fmt.get("format_name") or ""),
    )


def _float(value) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if f == f and f not in (float("inf"), float("-inf")) else None


# --------------------------------------------------------------------------- validation


def validate_upload(
    path: str | os.PathLike,
    *,
    max_bytes: int,
    max_duration_s: float,
    probe_timeout: float = 15,
) -> ProbeResult:
    """Run every upload check in order and return the probe result, or raise ``AudioRejected``.

    Order: empty file, size cap, magic bytes, ffprobe (corrupt/truncated header), audio stream
    present, non-zero duration, a duration the file's size can hold, duration cap. Cheap checks come first so an oversized or
    non-audio upload never reaches ffprobe.
    """
    size = os.path.getsize(path)
    if size == 0:
        raise AudioRejected("empty", "文件为空（0 字节）。", "The file is empty (0 bytes).")
    if size > max_bytes:
        raise AudioRejected(
            "too_large",
            f"文件过大（{_mb(size)}），上限为 {_mb(max_bytes)}。",
            f"The file is too large ({_mb(size)}); the limit is {_mb(max_bytes)}.",
        )
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    kind = sniff_format(head)
    if kind is None:
        raise AudioRejected(
            "unknown_format",
            f"无法识别的音频格式。支持的格式：{SUPPORTED_LABEL}。",
            f"Unrecognised audio format. Supported formats: {SUPPORTED_LABEL}.",
        )
    result = probe(path, timeout=probe_timeout)
    if result.duration_s <= 0:
        raise AudioRejected(
            "zero_duration",
            "录音时长为 0，文件中没有音频内容。",
            "The recording has no audio content (duration 0).",
        )
    check_duration_plausible(size, result)
    if result.duration_s > max_duration_s:
        raise AudioRejected(
            "too_long",
            f"录音时长 {_hms(result.duration_s)} 超过上限 {_hms(max_duration_s)}。",
            f"The recording is {_hms(result.duration_s)} long, over the {_hms(max_duration_s)} limit.",
        )
    return ProbeResult(
        duration_s=result.duration_s,
        codec=result.codec,
        sample_rate=result.sample_rate,
        channels=result.channels,
        format_name=result.format_name,
        sniffed=kind,
    )


# Fewest bytes a second of real speech audio takes, per codec, so a header that claims far
# more time than the file can hold is refused (a 3 KB WAV saying "2 Hz, 1,500 s" would
# otherwise be queued for a 25-minute transcription). PCM is exact at 8 kHz or more (below
# that there is no usable speech). Compressed codecs use their smallest possible frames:
# MPEG audio never goes under 8 kbit/s; GSM is a fixed 13 kbit/s; AMR sends at least a
# 1-byte frame every 20 ms (DTX silence); AAC, Opus, Vorbis, FLAC and Speex can compress
# digital silence to 70-400 B/s (measured with ffmpeg on 120 s of silence), so they get a
# floor of 50 B/s. A file must hold at least half the claimed duration at that rate.
MIN_SPEECH_RATE_HZ = 8_000
_CODEC_MIN_BYTES_PER_S = {"mp3": 1_000, "mp2": 1_000, "gsm": 1_625, "gsm_ms": 1_625, "amr_nb": 50, "amr_wb": 50}
_COMPRESSED_MIN_BYTES_PER_S = 50
PLAUSIBLE_FRACTION = 0.5


def min_bytes_per_second(codec: str, sample_rate: int, channels: int) -> float:
    """The fewest bytes one second of ``codec`` audio can take (see above)."""
    codec = (codec or "").lower()
    rate, chans = max(sample_rate or 0, MIN_SPEECH_RATE_HZ), max(channels or 0, 1)
    if codec.startswith("pcm_"):
        bits = re.search(r"\d+", codec)  # pcm_s16le, pcm_u8, pcm_f32le; pcm_alaw/mulaw: 8
        return rate * chans * (int(bits[0]) if bits else 8) / 8
    if codec.startswith("adpcm_"):
        return rate * chans * 2 / 8  # 2 bits a sample at the least (G.726 16 kbit/s)
    return _CODEC_MIN_BYTES_PER_S.get(codec, _COMPRESSED_MIN_BYTES_PER_S)


def plausible_max_duration_s(size: int, result: ProbeResult) -> float:
    """The longest audio ``size`` bytes of this codec can hold."""
    return size / min_bytes_per_second(result.codec, result.sample_rate, result.channels)


def check_duration_plausible(size: int, result: ProbeResult) -> None:
    """Refuse a file whose header claims far more time than its bytes can hold."""
    most = plausible_max_duration_s(size, result)
    if result.duration_s * PLAUSIBLE_FRACTION > most:
        raise AudioRejected(
            "implausible_duration",
            f"文件头声明的时长 {_hms(result.duration_s)} 与文件大小不符：{_kb(size)} 的音频最多约 "
            f"{_hms(most)}。文件头有误或文件已损坏，请上传原始录音。",
            f"The file claims to last {_hms(result.duration_s)}, but {_kb(size)} of this audio holds at most "
            f"about {_hms(most)}. The header is wrong or the file is damaged; upload the original recording.",
            detail=f"codec={result.codec} rate={result.sample_rate} channels={result.channels}",
        )


def _kb(n: int) -> str:
    return f"{n / 1024:.1f} KB" if n < 1024 * 1024 else _mb(n)


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def _hms(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


# --------------------------------------------------------------------------- decoding


def decode_to_wav16k(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    *,
    timeout_s: float,
    max_memory_mb: int = 1024,
    out_channels: int = 1,
) -> Path:
    """Decode the first audio stream of ``src`` into 16 kHz mono 16-bit PCM WAV at ``dst``
    (``out_channels=2``: the first two channels, for ``decode_call``).

    ffmpeg runs with a wall-clock timeout and an address-space limit (``RLIMIT_AS``). The output
    is written to a temporary file next to ``dst`` and renamed, so ``dst`` is either complete or
    absent. Raises ``DecodeFailed``.
    """
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".wav", dir=dst.parent)
    os.close(fd)
    cmd = [
        _tool("ffmpeg"),
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-threads",
        "1",
        "-i",
        os.fspath(src),
        "-map",
        "0:a:0",
        "-vn",
        *(["-ac", "1"] if out_channels == 1 else ["-af", "pan=stereo|c0=c0|c1=c1"]),
        "-ar",
        str(SAMPLE_RATE),
        "-c:a",
        "pcm_s16le",
        "-f",
        "wav",
        tmp,
    ]
    limit = int(max_memory_mb) * 1024 * 1024

    def _limits() -> None:  # runs in the child between fork and exec
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    try:
        try:
            proc = subprocess.run(
                cmd,
                capture_output=True,
                timeout=timeout_s,
                stdin=subprocess.DEVNULL,
                preexec_fn=_limits,  # the limits apply to the ffmpeg child only
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise DecodeFailed(
                "decode_timeout",
                f"音频解码超时（{timeout_s:g} 秒）。",
                f"Decoding the audio timed out ({timeout_s:g} s).",
            ) from exc
        if proc.returncode != 0:
            raise DecodeFailed(
                "decode_failed",
                "音频解码失败，文件可能已损坏或编码不受支持。",
                "The audio could not be decoded; the file may be corrupt or use an unsupported codec.",
                detail=_last_line(proc.stderr),
            )
        if os.path.getsize(tmp) <= 44:
            raise DecodeFailed(
                "decode_empty",
                "解码后没有音频数据。",
                "Decoding produced no audio samples.",
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, dst)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return dst


# --------------------------------------------------------------------------- channels

# A stereo call recorder puts the agent on one channel and the customer on the other. A file
# whose two channels carry the same audio (a mono call saved as stereo) or whose second channel
# is digital silence cannot be split by speaker: it is treated as mono.
SAME_CHANNEL_RATIO = 0.01  # difference energy below 1 % (-20 dB) of the signal energy: identical
SILENT_CHANNEL_PEAK = 8  # a channel whose samples never exceed this (of 32767) carries nothing


@dataclass(frozen=True)
class DecodedCall:
    """What ``decode_call`` made: ``mono`` (16 kHz mono WAV) for a mono call, or ``channels``
    (two 16 kHz mono WAVs, first and second channel) plus ``stereo_wav`` (both, 16 kHz) for a
    stereo one, whose ``mono`` is then the mix of its two channels. ``layout`` says which, and
    ``note`` why a stereo file was treated as mono."""

    layout: str  # "mono" or "stereo"
    mono: Path | None = None
    channels: tuple[Path, ...] = ()
    stereo_wav: Path | None = None
    note: str = ""

    @property
    def stereo(self) -> bool:
        return self.layout == "stereo"


def decode_call(
    src: str | os.PathLike,
    work_dir: str | os.PathLike,
    *,
    timeout_s: float,
    max_memory_mb: int = 1024,
    channels: int | None = None,
) -> DecodedCall:
    """Decode an accepted upload for transcription, keeping the two channels of a stereo call apart.

    ``channels``: the file's channel count if known (else ffprobe reads it). A mono file is decoded
    as by ``decode_to_wav16k``. A file with two or more channels is decoded once into 16 kHz
    stereo (the first two channels) and split into one WAV per channel; if the two carry the same
    audio, or one is silent, the call is mono after all (its mix is what gets transcribed).
    Raises ``DecodeFailed``/``AudioRejected`` as ``decode_to_wav16k`` does."""
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    if channels is None:
        channels = probe(src, timeout=min(15.0, timeout_s)).channels
    if channels < 2:
        return DecodedCall("mono", mono=decode_to_wav16k(src, work / "mono16k.wav", timeout_s=timeout_s,
                                                          max_memory_mb=max_memory_mb))  # fmt: skip
    stereo = decode_to_wav16k(
        src, work / "stereo16k.wav", timeout_s=timeout_s, max_memory_mb=max_memory_mb, out_channels=2
    )
    left, right, mix = work / "ch0.wav", work / "ch1.wav", work / "mono16k.wav"
    stats = split_channels(stereo, left, right, mix)
    if stats.silent_channel or stats.same:
        why = "两个声道内容相同 / both channels carry the same audio" if stats.same else (
            "有一个声道没有声音 / one channel is silent"
        )  # fmt: skip
        for p in (left, right):
            p.unlink(missing_ok=True)
        return DecodedCall("mono", mono=mix, stereo_wav=None, note=why)
    # the mix stays: one recognition pass over it (RECORDING_STEREO_TRANSCRIPTION "downmix")
    return DecodedCall("stereo", mono=mix, channels=(left, right), stereo_wav=stereo)


@dataclass(frozen=True)
class SplitStats:
    same: bool
    silent_channel: bool


def split_channels(stereo_wav: Path, left: Path, right: Path, mix: Path, *, block: int = 16_000 * 30) -> SplitStats:
    """Write each channel of a 16-bit stereo WAV, and their mix, as mono WAVs (in blocks, so a
    three-hour call never sits in memory at once); say whether the channels are the same."""
    import wave

    import numpy as np

    with wave.open(str(stereo_wav), "rb") as r:
        if r.getnchannels() != 2 or r.getsampwidth() != 2:
            raise DecodeFailed("decode_failed", "音频解码失败。", "The audio could not be decoded.",
                               detail=f"expected 16-bit stereo, got {r.getnchannels()} ch")  # fmt: skip
        rate = r.getframerate()
        writers = [wave.open(str(p), "wb") for p in (left, right, mix)]  # noqa: SIM115 - closed below
        try:
            for w in writers:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(rate)
            energy = diff = 0.0
            peaks = [0, 0]
            while True:
                raw = r.readframes(block)
                if not raw:
                    break
                x = np.frombuffer(raw, dtype="<i2").reshape(-1, 2)
                a, b = x[:, 0].astype(np.int32), x[:, 1].astype(np.int32)
                peaks = [max(peaks[0], int(np.abs(a).max())), max(peaks[1], int(np.abs(b).max()))]
                energy += float(np.sum(a.astype(np.float64) ** 2 + b.astype(np.float64) ** 2)) / 2
                diff += float(np.sum((a - b).astype(np.float64) ** 2))
                writers[0].writeframes(x[:, 0].tobytes())
                writers[1].writeframes(x[:, 1].tobytes())
                writers[2].writeframes(((a + b) // 2).astype("<i2").tobytes())
        finally:
            for w in writers:
                w.close()
    silent = min(peaks) <= SILENT_CHANNEL_PEAK
    same = energy > 0 and diff <= SAME_CHANNEL_RATIO * energy
    return SplitStats(same=same or energy == 0, silent_channel=silent)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"`{name}` is not installed; run scripts/install_system_deps.sh (Debian package ffmpeg).")
    return found
