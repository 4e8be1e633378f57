"""What call QA reads from one call: who said what when, and what the audio itself shows (issue 16).

Pure (no Django). The transcription side (recordings, per channel) produces ``Turn`` s; the audio
analysis (``callqa.audio``) produces ``AudioFacts``; the rules (``callqa.rules``) read both and never
the raw audio or the database. Times are seconds from the start of the call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Speaker = Literal["agent", "customer", "unknown"]
SPEAKERS: tuple[Speaker, ...] = ("agent", "customer", "unknown")


@dataclass(frozen=True)
class Interval:
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    prob: float | None = None


@dataclass(frozen=True)
class Turn:
    """One recognised stretch of one speaker (a transcript segment with its speaker)."""

    speaker: Speaker
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Cue:
    """An audio observation a rule or the emotion score may use, e.g. the caller's loudness rising.

    ``kind``: "loudness_rise", "pitch_rise", "interruption" (the customer starts while the agent speaks)
    or another name the audio analysis documents; ``value``: its size in the kind's unit (dB, semitones,
    seconds), so a reader sees why it was raised.
    """

    kind: str
    start: float
    end: float
    value: float
    speaker: Speaker = "customer"


@dataclass(frozen=True)
class AudioFacts:
    """Measured from the decoded audio. ``stereo`` is False for a mono call: then every voiced
    stretch belongs to "unknown" and over-talk cannot be measured (empty, and ``overtalk_known`` False)."""

    duration: float
    stereo: bool
    speech: dict[Speaker, tuple[Interval, ...]] = field(default_factory=dict)  # voiced stretches per speaker
    silences: tuple[Interval, ...] = ()  # nobody speaks (both channels quiet) for at least the analysis' minimum
    overtalk: tuple[Interval, ...] = ()  # both channels voiced at once
    overtalk_known: bool = True
    cues: tuple[Cue, ...] = ()

    def talk_seconds(self, speaker: Speaker) -> float:
        return sum(i.seconds for i in self.speech.get(speaker, ()))
