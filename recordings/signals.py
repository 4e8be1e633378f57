"""Signals the recordings app sends. Other apps subscribe in their ``AppConfig.ready``;
recordings imports none of them (call QA is a leaf: it listens, nobody imports it)."""

from __future__ import annotations

import logging

from django.dispatch import Signal

log = logging.getLogger(__name__)

#: Sent *inside* the transaction that stores a recording's transcript (status done), with
#: ``recording_id``. Receivers run in that transaction; one that starts slow work does it
#: ``on_commit`` (the worker must find the stored segments), and must never fail the store.
recording_transcribed = Signal()


def send_transcribed(recording_id: int) -> None:
    recording_transcribed.send(sender="recordings", recording_id=int(recording_id))


#: Sent by the transcription job while a call's decoded audio exists (after recognition, before the
#: result is stored, outside any transaction), with ``recording_id``, ``decoded``
#: (``speech.audio.DecodedCall``: the channel WAVs of a stereo call, the mono WAV of a mono one) and
#: ``speakers`` (who is on the first and second channel of a stereo call; empty for a mono one).
#: A receiver measures what it needs from the audio now, so nobody decodes the upload again. A
#: receiver that fails is logged and never fails the transcription.
recording_decoded = Signal()


def send_decoded(recording_id: int, decoded, speakers: tuple[str, ...]) -> None:
    for receiver, result in recording_decoded.send_robust(
        sender="recordings", recording_id=int(recording_id), decoded=decoded, speakers=tuple(speakers)
    ):
        if isinstance(result, Exception):
            log.error(
                "measuring the audio of recording %s failed in %r",
                recording_id,
                receiver,
                exc_info=(type(result), result, result.__traceback__),
            )
