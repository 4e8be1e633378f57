"""What the transcription job keeps of an engine's result (issue 10, "speech details found on the
way"): each segment's own confidence and each word's probability, the language the engine detected
for an ``auto`` call, and mute spans that reach past the words by the configured padding.

A fake engine stands in for Whisper so the figures are known; decoding, the planner, the stored rows
and the rendered listening copy are the product's.
"""

from __future__ import annotations

import math

import pytest
from django.conf import settings as django_settings

from recordings.models import CallRecording
from recordings.pipeline import segment_confidence
from recordings.services import recording_transcribe, recording_upload
from recordings.speech import engines
from recordings.speech.decoding import Segment, Word
from tests.complaints.factories import ComplaintFactory

from .conftest import silence, upload_of

pytestmark = pytest.mark.django_db

# One 30 s decoder window: Whisper's avg_logprob is the window's, the same for both segments.
WINDOW_LOGPROB = -0.4  # exp: 0.67


def _words(start: float, pairs: list[tuple[str, float]]) -> list[Word]:
    out, t = [], start
    for text, prob in pairs:
        out.append(Word(t, t + 0.35, text, prob))
        t += 0.45
    return out


COMPLAINT = _words(0.5, [(" I", 0.98), (" want", 0.95), (" to", 0.97), (" complain", 0.9), (" about", 0.96),
                         (" the", 0.97), (" fee.", 0.93)])  # fmt: skip
NUMBER = _words(4.5, [(" My", 0.97), (" phone", 0.96), (" is", 0.95), (" one", 0.91), (" three", 0.62),
                      (" eight", 0.88), (" one", 0.9), (" two", 0.4), (" three", 0.85), (" four", 0.9),
                      (" five", 0.9), (" six", 0.77), (" seven", 0.9), (" eight.", 0.9)])  # fmt: skip
DIGITS = NUMBER[3:]


def _segment(words: list[Word]) -> Segment:
    return Segment(words[0].start, words[-1].end, "".join(w.text for w in words).strip(), WINDOW_LOGPROB, 0.01, words)


class FakeEngine:
    name = "faster-whisper"

    def __init__(self):
        self.asked_language = None

    def transcribe(self, path, *, language, decode=None):
        self.asked_language = language
        return engines.TranscriptionResult(
            language="en",
            duration_s=12.0,
            segments=[_segment(COMPLAINT), _segment(NUMBER)],
            engine=self.name,
            model="fake",
            speech=[(COMPLAINT[0].start, COMPLAINT[-1].end), (NUMBER[0].start, NUMBER[-1].end)],
        )


@pytest.fixture
def transcribed(people, org_tree, tmp_path, monkeypatch):
    engine = FakeEngine()
    monkeypatch.setattr(engines, "get_engine", lambda *a, **kw: engine)
    case = ComplaintFactory(responsible_org=org_tree.bj)
    rec = recording_upload(
        uploaded_by=people.bj_handler, upload=upload_of(silence(tmp_path / "call.wav", 12)), complaint=case
    ).recording
    assert recording_transcribe(recording_id=rec.pk) == "done"
    rec.refresh_from_db()
    return rec, engine


def test_each_segment_keeps_its_own_confidence_and_each_word_its_probability(transcribed):
    rec, _engine = transcribed
    stored = list(rec.segments.order_by("index"))
    assert [s.confidence for s in stored] == [
        segment_confidence([w.probability for w in COMPLAINT], WINDOW_LOGPROB),
        segment_confidence([w.probability for w in NUMBER], WINDOW_LOGPROB),
    ]
    # not the decoder window's figure, which both segments share
    assert stored[0].confidence > stored[1].confidence
    assert all(s.confidence != pytest.approx(math.exp(WINDOW_LOGPROB), abs=1e-3) for s in stored)
    for segment, words in zip(stored, (COMPLAINT, NUMBER), strict=True):
        assert [(w["text"], w["prob"]) for w in segment.words] == [(w.text, w.probability) for w in words]
        assert [(w["start"], w["end"]) for w in segment.words] == [(round(w.start, 3), round(w.end, 3)) for w in words]


def test_an_auto_call_keeps_the_language_the_engine_detected(transcribed):
    rec, engine = transcribed
    assert engine.asked_language == "auto"  # the upload's default: the engine detects it
    assert rec.language == CallRecording.Language.AUTO and rec.detected_language == "en"
    redacted = " ".join(rec.segments.values_list("text_redacted", flat=True))
    assert "已隐去" not in redacted and "removed]" in redacted  # English placeholders for an English call


def test_stored_mute_spans_reach_past_the_spoken_number_by_the_configured_padding(transcribed):
    rec, _engine = transcribed
    pad = django_settings.RECORDING_MUTE_PAD_S
    assert pad >= 0.2  # the production padding (a mutation probe set it to 0 and nothing failed)
    spans = [(a, b) for a, b, _reason in rec.mute_spans]
    first, last = DIGITS[0], DIGITS[-1]
    assert any(a <= first.start - pad + 1e-3 and last.end + pad - 1e-3 <= b for a, b in spans), spans
    # the complaint before the number is not touched by the number's padding
    assert not any(a < COMPLAINT[-1].end and COMPLAINT[0].start < b for a, b in spans), spans
