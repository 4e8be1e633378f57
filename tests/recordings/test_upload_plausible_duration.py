"""An upload whose header claims far more time than its bytes can hold is refused before
anything is stored or queued (a 3 KB WAV saying "2 Hz, 1,500 s" used to be queued), while
real recordings, silence compressed to a few bytes a second included, are accepted."""

from __future__ import annotations

import struct
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from recordings.models import CallRecording
from recordings.speech import audio
from tests.complaints.factories import ComplaintFactory

from .conftest import upload_of


def lying_wav(*, rate: int = 2, bits: int = 8, data_bytes: int = 3000) -> bytes:
    """A valid PCM WAV whose tiny sample rate makes ``data_bytes`` last data_bytes/rate s."""
    block = bits // 8
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", data_bytes)
    return b"RIFF" + struct.pack("<I", len(body) + data_bytes) + body + bytes(data_bytes)


# --- the rule ------------------------------------------------------------------------------


def test_min_bytes_per_second_per_codec():
    assert audio.min_bytes_per_second("pcm_s16le", 16_000, 1) == 32_000
    assert audio.min_bytes_per_second("pcm_s16le", 8_000, 2) == 32_000
    assert audio.min_bytes_per_second("pcm_u8", 2, 1) == 8_000  # no speech below 8 kHz
    assert audio.min_bytes_per_second("pcm_alaw", 8_000, 1) == 8_000
    assert audio.min_bytes_per_second("pcm_f32le", 8_000, 1) == 32_000
    assert audio.min_bytes_per_second("adpcm_ima_wav", 8_000, 1) == 2_000
    assert audio.min_bytes_per_second("mp3", 8_000, 1) == 1_000  # 8 kbit/s, MPEG's lowest
    assert audio.min_bytes_per_second("amr_nb", 8_000, 1) == 50
    assert audio.min_bytes_per_second("aac", 8_000, 1) == 50
    assert audio.min_bytes_per_second("", 0, 0) == 50


@pytest.mark.parametrize(
    ("codec", "rate", "size", "claimed", "refused"),
    [
        ("pcm_u8", 2, 3_044, 1_500, True),  # the reported file
        ("pcm_s16le", 8_000, 160_044, 10, False),  # 10 s of telephone audio, exactly
        ("pcm_s16le", 8_000, 80_044, 10, False),  # half of it: still plausible
        ("pcm_s16le", 8_000, 60_000, 10, True),
        ("mp3", 8_000, 3_000, 1_600, True),
        ("mp3", 8_000, 120_429, 120, False),
        ("aac", 8_000, 8_387, 120, False),  # ffmpeg's AAC of 120 s of digital silence
        ("flac", 8_000, 3_000, 1_600, True),
    ],
)
def test_check_duration_plausible(codec, rate, size, claimed, refused):
    result = audio.ProbeResult(duration_s=claimed, codec=codec, sample_rate=rate, channels=1)
    if refused:
        with pytest.raises(audio.AudioRejected) as err:
            audio.check_duration_plausible(size, result)
        assert err.value.code == "implausible_duration"
        assert "与文件大小不符" in err.value.message and "holds at most" in err.value.message
    else:
        audio.check_duration_plausible(size, result)


@pytest.mark.parametrize(("ext", "codec_args"), [("m4a", ["-c:a", "aac", "-b:a", "8k"]), ("flac", ["-c:a", "flac"])])
def test_long_digital_silence_compressed_hard_is_still_accepted(tmp_path, ext, codec_args):
    out = tmp_path / f"silence.{ext}"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "300", *codec_args, str(out)],
        check=True,
        timeout=120,
    )
    result = audio.validate_upload(out, max_bytes=10**8, max_duration_s=3600)
    assert result.duration_s == pytest.approx(300, abs=1)


# --- upload page and API ---------------------------------------------------------------


@pytest.fixture
def bj_case(org_tree):
    return ComplaintFactory(responsible_org=org_tree.bj)


@pytest.mark.django_db
def test_case_panel_refuses_a_header_claiming_more_than_the_file_holds(client, people, bj_case, tmp_path):
    client.force_login(people.bj_handler)
    bad = SimpleUploadedFile("call.wav", lying_wav(), content_type="audio/wav")
    resp = client.post(
        reverse("recordings:case_panel", args=[bj_case.reference]),
        {"file": bad, "language": "zh", "direction": "inbound", "channel": "hotline"},
        HTTP_HX_REQUEST="true",
    )
    assert resp.status_code == 400
    body = resp.content.decode()
    assert "与文件大小不符" in body and "0:25:00" in body
    assert CallRecording.objects.count() == 0


@pytest.mark.django_db
def test_api_refuses_a_header_claiming_more_than_the_file_holds(client, people, bj_case, short_tone_wav):
    client.force_login(people.agent)
    url = reverse("recordings_api:list")
    resp = client.post(
        url, {"file": SimpleUploadedFile("x.wav", lying_wav(rate=1, bits=16)), "complaint": bj_case.reference}
    )
    assert resp.status_code == 400
    err = resp.json()["error"]
    assert "与文件大小不符" in err["message"] and "holds at most" not in err["message"]
    client.cookies["django_language"] = "en"  # issue 14: the English UI gets the English message only
    resp = client.post(
        url, {"file": SimpleUploadedFile("x.wav", lying_wav(rate=1, bits=16)), "complaint": bj_case.reference}
    )
    err = resp.json()["error"]
    assert resp.status_code == 400
    assert "holds at most" in err["message"] and "与文件大小不符" not in err["message"]
    assert CallRecording.objects.count() == 0
    ok = client.post(url, {"file": upload_of(short_tone_wav), "complaint": bj_case.reference})
    assert ok.status_code == 201, ok.content  # an honest one-second WAV still goes through
