"""Signals the recordings app sends. Other apps subscribe in their ``AppConfig.ready``;
recordings imports none of them (call QA is a leaf: it listens, nobody imports it)."""

from __future__ import annotations

from django.dispatch import Signal

#: Sent *inside* the transaction that stores a recording's transcript (status done), with
#: ``recording_id``. Receivers run in that transaction; one that starts slow work does it
#: ``on_commit`` (the worker must find the stored segments), and must never fail the store.
recording_transcribed = Signal()


def send_transcribed(recording_id: int) -> None:
    recording_transcribed.send(sender="recordings", recording_id=int(recording_id))
