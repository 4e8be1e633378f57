"""The calls panel on the customer page (``complaints.panels.CUSTOMER_PANELS`` collects it).

The recordings of the cases the page shows (already in the user's scope, so in the recordings'
own scope too: a recording belongs to its case's org). Each row says what the user may play
under the listening rules (``selectors.playable_versions``: the de-identified copy only when
redaction succeeded, the original only for the unmask roles) or why not; playing happens on the
recording's own page, where every play is logged. One query.
"""

from __future__ import annotations

from complaints.panels import Panel

from . import selectors
from .models import CallRecording

RECORDINGS_SHOWN = 50


def panels_for(request, view) -> list[Panel]:
    if not request.user.is_authenticated:
        return []
    cases = {c.pk: c for c in view.cases}
    recs = list(
        CallRecording.objects.filter(complaint_id__in=list(cases)).order_by("-created_at", "-id")[:RECORDINGS_SHOWN]
    )
    rows = []
    for rec in recs:
        rec.via_flag_only = False  # in scope through its case
        rows.append(
            {
                "rec": rec,
                "case": cases[rec.complaint_id],
                "versions": selectors.playable_versions(request.user, rec),
                "reason": selectors.unplayable_reason(request.user, rec),
            }
        )
    return [Panel(template="recordings/_customer_panel.html", context={"rec_rows": rows}, order=40)]
