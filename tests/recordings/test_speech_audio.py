"""Upload validation and decoding with real files made by espeak-ng/sox/ffmpeg. No Django."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from recordings.speech.audio import (
    AudioRejected,
    DecodeFailed,
    decode_to_wav16k,
    probe,
    sniff_format,
    validate_upload,
)
from tests.recordings import audio_factory as af

pytestmark = pytest.mark.skipif(not af.tools_available(), reason="needs espeak-ng, sox, ffmpeg")

MB = 1024 * 1024
LIMITS = {"max_bytes": 50 * MB, "max_duration_s": 3 * 3600}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("speech-audio")
    speech = af.english(d / "speech.wav")
    tel = af.telephone(speech, d / "tel.wav")
    return {
        "speech": speech,
        "tel": tel,
        "mp3": af.encode(tel, d / "call.mp3"),
        "m4a": af.encode(tel, d / "call.m4a"),
        "ogg": af.encode(tel, d / "call.ogg"),
        "flac": af.encode(tel, d / "call.flac"),
        "zero": af.zero_bytes(d / "zero.wav"),
        "text": af.text_named_wav(d / "notes.wav"),
        "cut_header": af.truncated(tel, d / "cut-header.wav", 20),
        "header_only": af.truncated(tel, d / "header-only.wav", 44),
        "cut_data": af.truncated(tel, d / "cut-data.wav", 44 + 16000 * 2),  # 2 s of 8 kHz s16
        "video": af.video_without_audio(d / "video.mp4"),
        "silence": af.silence(d / "silence.wav", 2),
    }


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "wav"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x23", "mp3"),
        (b"\xff\xfb\x90\x64\x00", "mp3"),  # MPEG-1 layer III frame header
        (b"\xff\xf1\x50\x80\x02", "aac"),  # ADTS
        (b"\x00\x00\x00\x1cftypM4A \x00\x00\x02\x00", "m4a"),
        (b"#!AMR\n\x3c", "amr"),
        (b"#!AMR-WB\n", "amr"),
        (b"OggS\x00\x02\x00\x00", "ogg"),
        (b"fLaC\x00\x00\x00\x22", "flac"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81", "webm"),
        (b"RIFF\x24\x00\x00\x00AVI LIST", None),  # RIFF but not WAVE
        (b"Hello, this is text", None),
        (b"\xff\xff\xff\xff", None),  # sync bits but reserved layer/bitrate
        (b"%PDF-1.7\n", None),
        (b"", None),
    ],
)
def test_sniff_format(head, expected):
    assert sniff_format(head) == expected


@pytest.mark.parametrize("kind", ["tel", "mp3", "m4a", "ogg", "flac"])
def test_valid_recordings_pass_with_their_properties(files, kind):
    result = validate_upload(files[kind], **LIMITS)
    assert result.duration_s == pytest.approx(6.2, abs=1.0)
    assert result.channels == 1
    assert result.sniffed == {"tel": "wav", "flac": "flac"}.get(kind, kind)
    assert result.codec


@pytest.mark.parametrize(
    ("kind", "code", "zh", "en"),
    [
        ("zero", "empty", "文件为空", "empty (0 bytes)"),
        ("text", "unknown_format", "无法识别的音频格式", "Unrecognised audio format"),
        ("cut_header", "corrupt", "已损坏或不完整", "corrupt or incomplete"),
        ("header_only", "zero_duration", "时长为 0", "no audio content"),
        ("video", "no_audio_stream", "没有音频流", "no audio stream"),
    ],
)
def test_bad_files_are_rejected_with_a_bilingual_message(files, kind, code, zh, en):
    with pytest.raises(AudioRejected) as err:
        validate_upload(files[kind], **LIMITS)
    assert err.value.code == code
    assert zh in err.value.message and en in err.value.message
    assert err.value.message == str(err.value)
    assert str(files[kind]) not in err.value.message  # no server paths shown to users


def test_size_cap_is_checked_before_anything_is_parsed(files):
    with pytest.raises(AudioRejected) as err:
        validate_upload(files["text"], max_bytes=10, max_duration_s=3600)  # a text file, but too big first
    assert err.value.code == "too_large"
    assert "上限" in err.value.message and "limit" in err.value.message


def test_duration_cap(files):
    with pytest.raises(AudioRejected) as err:
        validate_upload(files["tel"], max_bytes=50 * MB, max_duration_s=5)
    assert err.value.code == "too_long"
    assert "0:00:05" in err.value.message


def test_wav_cut_mid_data_is_accepted_with_what_is_there(files):
    # A recorder that stopped mid-write still holds evidence: keep the audio that exists.
    assert validate_upload(files["cut_data"], **LIMITS).duration_s == pytest.approx(2.0, abs=0.05)


def test_silence_is_valid_audio(files):
    # "No speech" is decided by transcription (a recorded status), not by upload validation.
    assert validate_upload(files["silence"], **LIMITS).duration_s == pytest.approx(2.0, abs=0.01)


def test_probe_reports_stream_properties(files):
    result = probe(files["speech"])
    assert (result.codec, result.sample_rate, result.channels) == ("pcm_s16le", 22050, 1)


@pytest.mark.parametrize("kind", ["tel", "mp3", "m4a", "ogg", "speech"])
def test_decode_gives_16k_mono_pcm_wav(files, kind, tmp_path):
    out = decode_to_wav16k(files[kind], tmp_path / "out" / "audio.wav", timeout_s=30)
    with wave.open(str(out), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        # same length as the speech it was made from (lossy encoders add a few ms of padding)
        assert w.getnframes() / 16000 == pytest.approx(probe(files["tel"]).duration_s, abs=0.1)
    assert [p.name for p in out.parent.iterdir()] == ["audio.wav"]  # no temp files left behind


def test_decode_time_limit(files, tmp_path):
    with pytest.raises(DecodeFailed) as err:
        decode_to_wav16k(files["m4a"], tmp_path / "a.wav", timeout_s=0.001)
    assert err.value.code == "decode_timeout"
    assert list(tmp_path.iterdir()) == []


def test_decode_memory_limit(files, tmp_path):
    # ffmpeg cannot even map its libraries in 64 MB of address space: it fails, it is not killed
    # by the OOM killer along with the worker.
    with pytest.raises(DecodeFailed) as err:
        decode_to_wav16k(files["m4a"], tmp_path / "a.wav", timeout_s=30, max_memory_mb=64)
    assert err.value.code == "decode_failed"
    assert err.value.detail  # ffmpeg's reason, for the log
    assert list(tmp_path.iterdir()) == []


def test_decode_of_a_corrupt_file_fails_cleanly(files, tmp_path):
    with pytest.raises(DecodeFailed) as err:
        decode_to_wav16k(files["text"], tmp_path / "a.wav", timeout_s=30)
    assert err.value.code == "decode_failed"
    assert "解码失败" in err.value.message
    assert not (tmp_path / "a.wav").exists()
