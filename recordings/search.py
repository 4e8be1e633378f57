"""Recordings' part of the complaint search (``complaints.selectors`` asks every app through
``voc.extensions``): the cases whose redacted call transcript mentions the text."""

from __future__ import annotations

from accounts.models import User

from .selectors import complaint_ids_matching_transcript


def complaint_ids_matching(text: str, user: User, *, limit: int) -> list[int]:
    """At most ``limit`` ids of cases in the user's scope whose redacted transcript contains ``text``."""
    return list(complaint_ids_matching_transcript(text, user).values_list("complaint_id", flat=True)[:limit])
