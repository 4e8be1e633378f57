"""Routes of mailintake (e-mail into the intake queue)."""

from __future__ import annotations

from tests.access_registry.base import (
    INTAKE,
    Route,
    mail_ids_html,
    mail_pk,
)

ROUTES: list[Route] = [
    # --- mailintake (e-mail into the intake queue) ---
    Route("mailintake:queue", INTAKE, rows=mail_ids_html, lists="mail", note="drafts of the user's subtree"),
    Route("mailintake:detail", INTAKE, obj="mail", args=mail_pk),
    Route(
        "mailintake:attachment",
        INTAKE,
        obj="mail",
        args=lambda m: [m.pk, m.attachments.get().pk],
        note="a download (application/octet-stream), never rendered",
    ),
    Route(
        "mailintake:not_complaint",
        INTAKE,
        obj="mail",
        args=mail_pk,
        method="POST",
        data=lambda w: {"reason": ""},
        ok=frozenset({400}),
        note="without a reason nothing changes (tests/mailintake/test_pages.py)",
    ),
]
