"""Stereo calls: one transcript per channel (agent / customer), interleaved, and one listening plan.

Pure (no Django). A call-centre recorder puts each party on a channel of its own; each channel is
transcribed alone (``recordings.pipeline.transcribe_audio``) and the transcripts are interleaved by
time, each segment keeping its speaker.

De-identification fails closed on a stereo call. Personal data is looked for three ways and the
union is muted:
- on each channel alone (its own words against its own voice-activity regions), so speech of one
  party that the recogniser missed is found even while the other party's words cover that second;
- on both transcripts interleaved in time, so a cue said by one party mutes what the other says
  next (the agent asks "your card number please", the customer reads digits the recogniser hears
  as words).
Every mute span is applied to both channels of the listening copy (a number said on one channel
is often audible on the other as echo or side-tone). A word's text is masked when any of the
plans masks it; the masked text is checked once more for personal data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from complaints.pii import find_sensitive

from .deid import REASONS, DeidPlan, SegmentPlan, plan_listening_copy
from .pipeline import Transcript
from .redaction import mask_label, merge_spans

SPEAKER_CHOICES = ("agent", "customer")


def channel_speakers(value: Sequence[str]) -> tuple[str, str]:
    """The speaker of the first and second channel (settings.RECORDING_CHANNEL_SPEAKERS), checked."""
    speakers = tuple(str(v).strip().lower() for v in value)
    if len(speakers) != 2 or set(speakers) != set(SPEAKER_CHOICES):
        raise ValueError(
            f"RECORDING_CHANNEL_SPEAKERS must name the first and second channel's speaker, one 'agent' and "
            f"one 'customer' (e.g. 'agent,customer'); got {list(value)!r}."
        )
    return speakers  # type: ignore[return-value]


def interleave(parts: Sequence[tuple[str, Transcript]]) -> Transcript:
    """One transcript of a stereo call: every channel's segments by start time, each with its speaker."""
    if not parts:
        raise ValueError("a stereo call needs the transcripts of its channels")
    rows = sorted(
        ((seg.start, seg.end, k, j) for k, (_speaker, t) in enumerate(parts) for j, seg in enumerate(t.segments)),
    )
    first = next((t for _s, t in parts if t.segments), parts[0][1])
    speech = None
    if all(t.speech is not None for _s, t in parts):
        speech = merge_spans([r for _s, t in parts for r in t.speech], pad_s=0.0)
    out = Transcript(
        language=first.language,
        duration_s=max(t.duration_s for _s, t in parts),
        engine=first.engine,
        model=first.model,
        speech=speech,
        parts=list(parts),
    )
    for _a, _b, k, j in rows:
        speaker, t = parts[k]
        out.segments.append(t.segments[j])
        out.confidences.append(t.confidences[j])
        out.speakers.append(speaker)
    return out


def plan_stereo(
    transcript: Transcript,
    *,
    language: str,
    duration_s: float,
    pad_s: float,
    planner: Callable[..., DeidPlan] = plan_listening_copy,
) -> DeidPlan:
    """The listening plan of an interleaved stereo transcript (see the module docstring)."""
    kw = {"language": language, "duration_s": duration_s, "pad_s": pad_s}
    together = planner(transcript.segments, speech=transcript.speech, **kw)
    per_channel = [(speaker, planner(t.segments, speech=t.speech, **kw)) for speaker, t in transcript.parts]

    # where each interleaved segment sits in its channel's transcript
    position: dict[int, tuple[int, int]] = {}
    for k, (_speaker, t) in enumerate(transcript.parts):
        for j, seg in enumerate(t.segments):
            position[id(seg)] = (k, j)

    segments: list[SegmentPlan] = []
    extra_mute: list[tuple[float, float]] = []
    for i, seg in enumerate(transcript.segments):
        k, j = position[id(seg)]
        mine = per_channel[k][1].segments[j]
        plan = _union_text(together.segments[i], mine, language)
        if not plan.untimed and find_sensitive(plan.redacted):  # fail closed on the whole segment
            plan = SegmentPlan(plan.text, mask_label("digits", language), [(0, len(plan.text), "digits")], True)
            extra_mute.append((seg.start, seg.end))
        segments.append(plan)

    labelled = [m for p in (together, *(p for _s, p in per_channel)) for m in p.mute]
    labelled += [(a, b, "untimed") for a, b in merge_spans(extra_mute, pad_s=pad_s, duration_s=duration_s)]
    mute = _merge_labelled(labelled)
    muted_s = {r: round(sum(b - a for a, b, x in mute if x == r), 3) for r in REASONS}
    review = list(together.review)
    for speaker, p in per_channel:
        review += [f"{speaker}: {r}" for r in p.review if r not in together.review]
    return DeidPlan(
        segments=segments,
        mute=mute,
        muted_s=muted_s,
        uncovered_s=round(sum(p.uncovered_s for _s, p in per_channel), 3),
        mean_prob=together.mean_prob,
        layers=[x for x in together.layers if all(x in p.layers for _s, p in per_channel)],
        review=review,
        findings=sum(len(p.spans) for p in segments),
    )


def _union_text(a: SegmentPlan, b: SegmentPlan, language: str) -> SegmentPlan:
    """The segment's text with every character range either plan masked, masked."""
    if a.text != b.text or a.untimed or b.untimed:
        text = a.text
        return SegmentPlan(text, mask_label("digits", language) if text else "",
                           [(0, len(text), "digits")] if text else [], True)  # fmt: skip
    spans = sorted(a.spans + b.spans)
    merged: list[list] = []
    for s, e, kind in spans:
        if merged and (s <= merged[-1][1] or not a.text[merged[-1][1] : s].strip(" ,，.。、-—")):
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e, kind])
    out, pos = [], 0
    for s, e, kind in merged:
        out += [a.text[pos:s], mask_label(kind, language)]
        pos = e
    out.append(a.text[pos:])
    return SegmentPlan(a.text, "".join(out), [(s, e, k) for s, e, k in merged], False)


def _merge_labelled(spans: Sequence[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """Merge overlapping mute spans; each keeps the reason that covers most of it."""
    merged = merge_spans([(a, b) for a, b, _r in spans], pad_s=0.0)
    out = []
    for a, b in merged:
        share: dict[str, float] = {}
        for x, y, r in spans:
            share[r] = share.get(r, 0.0) + max(0.0, min(b, y) - max(a, x))
        out.append((round(a, 3), round(b, 3), max(share, key=share.get)))
    return out
