"""Routes of integrations: regulator transfers."""

from __future__ import annotations

from tests.access_registry.base import (
    REGULATOR_EXPORT,
    REGULATOR_IMPORT,
    Route,
    refs,
    refs_xlsx,
)


def regulator_period() -> dict:
    """The last week up to today: the world's cases were received two days ago."""
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    return {"date_from": str(today - timedelta(days=7)), "date_to": str(today)}


ROUTES: list[Route] = [
    # --- integrations: regulator transfers (head office's complaint officers import) ---
    Route(
        "integrations:regulator_upload", REGULATOR_IMPORT, head_office=True, note="the upload page and recent batches"
    ),
    Route(
        "integrations:regulator_upload",
        REGULATOR_IMPORT,
        method="POST",
        head_office=True,
        ok=frozenset({400}),
        variant="no file",
        note="no file: a form error; the flow in tests/integrations/test_regulator_import.py",
    ),
    Route(
        "integrations:regulator_template", REGULATOR_IMPORT, args=lambda: ["xlsx"], head_office=True, same_for_all=True
    ),
    Route(
        "integrations:regulator_batch",
        REGULATOR_IMPORT,
        obj="regulator_batch",
        args=lambda b: [b.pk],
        head_office=True,
        note="a batch is head office's, not an org's: any branch user gets 404",
    ),
    Route(
        "integrations:regulator_import",
        REGULATOR_IMPORT,
        obj="regulator_batch",
        args=lambda b: [b.pk],
        method="POST",
        head_office=True,
        ok=frozenset({302}),
    ),
    *[
        Route(
            "integrations:regulator_errors",
            REGULATOR_IMPORT,
            obj="regulator_batch",
            args=lambda b, f=fmt: [b.pk, f],
            head_office=True,
            variant=fmt,
            note="the rows as typed, numbers included: an unmask role, audit-logged (test_leak_scan.UNMASKING)",
        )
        for fmt in ("csv", "xlsx")
    ],
    Route("integrations:regulator_results", REGULATOR_EXPORT, data=lambda w: regulator_period()),
    *[
        Route(
            "integrations:regulator_export",
            REGULATOR_EXPORT,
            args=lambda f=fmt: [f],
            data=lambda w: regulator_period(),
            rows=refs if fmt == "csv" else refs_xlsx,
            lists="regulator_cases",
            variant=fmt,
        )
        for fmt in ("csv", "xlsx")
    ],
]
