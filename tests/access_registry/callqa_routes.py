"""Routes of callqa (call QA)."""

from __future__ import annotations

from tests.access_registry.base import (
    POST_OK,
    QA_READ,
    QA_REVIEW,
    Route,
    rec_ids_html,
    rec_pk,
)

ROUTES: list[Route] = [
    # --- callqa (call QA) ---
    Route("callqa:queue", QA_READ, rows=rec_ids_html, lists="recordings", exact=False),
    Route("callqa:scorecards", QA_READ),
    Route("callqa:scorecards", QA_READ, data=lambda w: {"by": "team"}, variant="by team"),
    Route("callqa:call", QA_READ, obj="recording", args=rec_pk),
    Route(
        "callqa:overturn",
        QA_REVIEW,
        obj="recording",
        args=rec_pk,
        method="POST",
        ok=POST_OK,
        note="no such hit: a message and back to the call; overturning in tests/callqa/test_pages.py",
    ),
]
