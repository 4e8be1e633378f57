"""The demo seed (idempotent) and ``manage.py transcribe`` for operators."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from accounts import demo as accounts_demo
from accounts.models import Organisation
from recordings import demo
from recordings.models import CallRecording
from tests.complaints.factories import ComplaintFactory

from .conftest import tts

pytestmark = pytest.mark.django_db


def test_demo_seed_attaches_synthesised_calls_and_is_idempotent(db):
    accounts_demo.seed()
    for code in ("BJ-CY", "SH-PD"):
        ComplaintFactory(responsible_org=Organisation.objects.get(code=code))
    out = io.StringIO()
    demo.seed(stdout=out, options={"quick": True})
    demo.seed(stdout=out, options={"quick": True})
    recs = list(CallRecording.objects.order_by("original_name"))
    assert len(recs) == len(demo.CALLS) == 3
    linked = {r.original_name: r.complaint.responsible_org.code if r.complaint else None for r in recs}
    assert linked == {
        "demo-bj-annual-fee-zh.wav": "BJ-CY",
        "demo-sh-app-outage-en.wav": "SH-PD",
        "demo-unlinked-refund-en.wav": None,
    }
    assert {r.language for r in recs} == {"zh", "en"}
    assert all(r.status == CallRecording.Status.QUEUED and r.duration_s > 3 for r in recs)
    assert "3 demo recordings" in out.getvalue() and "0 demo recordings" in out.getvalue()


@pytest.mark.slow
def test_transcribe_command_prints_json(tmp_path):
    wav = tts(tmp_path / "hello.wav", "Good morning, I would like to ask about my statement.")
    out = io.StringIO()
    call_command(
        "transcribe", str(wav), "--model", "pkg:tiny.en", "--language", "en", "--json", stdout=out, stderr=io.StringIO()
    )
    data = json.loads(out.getvalue())
    assert data["engine"] == "faster-whisper" and data["language"] == "en"
    assert "good morning" in " ".join(s["text"] for s in data["segments"]).lower()
    assert data["duration_s"] > 2 and data["rtf"] > 0


def test_transcribe_command_rejects_a_text_file(tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio at all " * 10)
    with pytest.raises(CommandError, match="无法识别"):
        call_command("transcribe", str(bad))
