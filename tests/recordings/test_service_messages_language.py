"""Issue 14: the recordings services raise one message in the user's language (Chinese by
default, English under the English UI), never "中文 / English"."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from accounts import roles
from recordings.models import CallRecording
from recordings.services import (
    recording_flag,
    recording_redaction_reject,
    recording_redaction_release,
    recording_upload,
)

from .conftest import make_recording, upload_of

pytestmark = pytest.mark.django_db


def _messages(call) -> tuple[list[str], list[str]]:
    """The messages of the ValidationError `call` raises, in Chinese and then in English."""
    with pytest.raises(ValidationError) as zh:
        call()
    with translation.override("en"), pytest.raises(ValidationError) as en:
        call()
    return zh.value.messages, en.value.messages


def test_redaction_review_refusals_are_in_the_ui_language_only(people, estate):
    held = make_recording(estate.bj_cases[0], tag="held")
    held.redaction, held.finished_at = CallRecording.Redaction.REVIEW, timezone.now()
    held.save(update_fields=["redaction", "finished_at"])
    not_held = estate.bj_recs[0]

    assert _messages(lambda: recording_redaction_release(actor=people.bj_handler, recording=held)) == (
        ["您没有复核脱敏录音的权限"],
        ["You may not review redacted recordings"],
    )
    assert _messages(lambda: recording_redaction_release(actor=people.ho_officer, recording=not_held)) == (
        ["该录音不在待复核状态"],
        ["This recording is not awaiting review"],
    )
    assert _messages(lambda: recording_redaction_release(actor=people.ho_officer, recording=held)) == (
        ["请先完整收听脱敏录音再放行"],
        ["Listen to the redacted copy before releasing it"],
    )
    assert _messages(lambda: recording_redaction_reject(actor=people.ho_officer, recording=held, reason=" ")) == (
        ["请说明原因"],
        ["Please give a reason"],
    )
    held.refresh_from_db()
    assert held.redaction == CallRecording.Redaction.REVIEW


def test_flag_without_a_note_is_refused_in_the_ui_language_only(people, estate):
    rec = estate.bj_recs[0]
    flag = lambda: recording_flag(  # noqa: E731
        actor=people.ho_officer, recording=rec, note=" ", audience_roles=[roles.LISTENING_MANAGER]
    )
    assert _messages(flag) == (["请填写推荐理由"], ["Please give a note"])


def test_upload_size_cap_message_is_in_the_ui_language_only(people, estate, short_tone_wav, settings):
    settings.RECORDING_MAX_BYTES = 1024 * 1024
    big = upload_of(short_tone_wav)
    big.size = 3 * 1024 * 1024
    before = CallRecording.objects.count()
    zh, en = _messages(
        lambda: recording_upload(uploaded_by=people.bj_handler, upload=big, complaint=estate.bj_cases[0])
    )
    assert zh == ["文件过大（3 MB），上限 1 MB"]
    assert en == ["File too large (3 MB), the limit is 1 MB"]
    assert CallRecording.objects.count() == before


def test_rejected_audio_file_message_is_in_the_ui_language_only(people, estate, tmp_path):
    """The speech layer's rejection (it carries Chinese and English) reaches the user in one language."""
    text = tmp_path / "call.wav"
    text.write_bytes(b"this is not audio, just a text file\n" * 10)
    before = CallRecording.objects.count()
    zh, en = _messages(
        lambda: recording_upload(uploaded_by=people.bj_handler, upload=upload_of(text), complaint=estate.bj_cases[0])
    )
    assert len(zh) == len(en) == 1
    assert zh[0].startswith("无法识别的音频格式。") and "Unrecognised" not in zh[0]
    assert en[0].startswith("Unrecognised audio format.") and not re.search(r"[\u4e00-\u9fff]", en[0])
    assert CallRecording.objects.count() == before
