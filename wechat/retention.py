"""WeChat's part of the retention job (``complaints.services.retention`` owns the points and names
no app, issue 13): a message registered as a case keeps the customer's platform id (ciphertext,
keyed hash, masked value) and their words; anonymising the case clears them, purging it deletes
the messages (the case link is ``SET_NULL``: without this they would outlive the case). Called
inside the job's batch transaction with the batch's cases locked; a failure propagates (strict
points) and the batch rolls back.

Drafts never registered (dismissed as not a complaint, or never handled) are linked to no case;
the retention policy (``complaints.retention``) has no rule for them, so they are not touched here.
A voice message's audio is a recording: ``recordings.retention`` removes it with its case."""

from __future__ import annotations

from collections.abc import Iterable

from .models import WeChatMessage


def _of(ids: Iterable[int]):
    return WeChatMessage.objects.filter(complaint_id__in=list(ids))


def open_work(ids: Iterable[int]) -> list[tuple[int, str, int]]:
    """A message holds no case."""
    return []


def stored_files(ids: Iterable[int]) -> list[str]:
    """Messages keep no files of their own (voice audio is a recording)."""
    return []


def counts(ids: Iterable[int]) -> list[tuple[str, int]]:
    """What the run's report counts of the messages it anonymises or deletes."""
    return [("wechat_messages", _of(ids).count())]


def kept_by_trail(ids: Iterable[int]) -> list[int]:
    """No append-only trail refers to a message."""
    return []


def anonymise(ids: Iterable[int], *, removed: str) -> None:
    """The customer's platform id (ciphertext, keyed hash, masked value), the text and the notes go;
    the channel, kind, times, status and the case link stay (the reports count channels)."""
    _of(ids).update(
        user_hash="", user_encrypted="", user_masked=removed, text=removed, media_id="", media_error="",
        handled_reason="", ack_error="",
    )  # fmt: skip


def purge(ids: Iterable[int]) -> None:
    """The cases' messages go before the cases (their link would only be cleared)."""
    _of(ids).delete()
