"""Routes of recordings: pages and API."""

from __future__ import annotations

from tests.access_registry.base import (
    ALL,
    AUDIT,
    LISTENER,
    MANAGER,
    POST_OK,
    SUSPECTS,
    UNMASK,
    UPLOAD,
    Route,
    case_ref,
    rec_ids_api,
    rec_ids_html,
    rec_pk,
)

ROUTES: list[Route] = [
    # --- recordings: pages ---
    Route("recordings:list", ALL, rows=rec_ids_html, lists="recordings"),
    Route("recordings:upload", UPLOAD, method="POST", ok=frozenset({400}), note="no file: a form error"),
    Route("recordings:inbox", ALL, rows=rec_ids_html, lists="recordings", exact=False),
    Route("recordings:suspected", SUSPECTS, rows=rec_ids_html, lists="unlinked", exact=False),
    Route("recordings:plays", AUDIT),
    Route("recordings:case", ALL, obj="case", args=case_ref),
    Route("recordings:case_panel", UPLOAD, obj="case", args=case_ref, method="POST", ok=POST_OK),
    Route("recordings:detail", ALL, obj="recording", args=rec_pk),
    Route("recordings:status", ALL, obj="recording", args=rec_pk),
    Route("recordings:audio", ALL, obj="recording", args=lambda r: [r.pk, "redacted"], skip_leak_scan=True),
    Route("recordings:codes", ALL, obj="recording", args=rec_pk),
    Route("recordings:flag", UNMASK, obj="recording", args=rec_pk, method="POST", ok=POST_OK),
    Route(
        "recordings:listened",
        frozenset({LISTENER, MANAGER}),
        obj="recording",
        args=rec_pk,
        method="POST",
        ok=frozenset({404}),
        note="for the audience of a flagged recording only; the world flags none, so 404 for all",
    ),
    Route("recordings:comment", ALL, obj="recording", args=rec_pk, method="POST", ok=POST_OK),
    Route(
        "recordings:link",
        UPLOAD,
        obj="recording",
        args=rec_pk,
        method="POST",
        ok=POST_OK,
        refused=frozenset({302}),
        note="the service refuses other roles: back to the recording with a message",
    ),
    Route("recordings:retry", UNMASK, obj="recording", args=rec_pk, method="POST", ok=POST_OK),
    Route(
        "recordings:dismiss",
        SUSPECTS,
        obj="recording",
        args=rec_pk,
        method="POST",
        ok=POST_OK,
        refused=frozenset({302}),
        note="the service refuses other roles: back to the recording with a message",
    ),
    Route("recordings:release", UNMASK, obj="recording", args=rec_pk, method="POST", ok=POST_OK),
    # --- recordings: API ---
    Route("recordings_api:list", ALL, rows=rec_ids_api, lists="recordings"),
    Route("recordings_api:detail", ALL, obj="recording", args=rec_pk),
    Route(
        "recordings_api:audio",
        ALL,
        obj="recording",
        args=lambda r: [r.pk, "redacted"],
        skip_leak_scan=True,
    ),
    Route("recordings_api:code_suggestions", ALL, obj="recording", args=rec_pk),
]
