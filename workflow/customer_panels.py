"""The workflow's panel on the customer page (``complaints.panels.CUSTOMER_PANELS``): the
decisions the customer was given on the cases the page shows (already in the user's scope) —
result, redress, and when and how they reached the customer, which tells staff how this
customer is usually reached. One query."""

from __future__ import annotations

from complaints.panels import Panel

from .models import Decision, DeliveryChannel


def panels_for(request, view) -> list[Panel]:
    if not request.user.is_authenticated:
        return []
    cases = {c.pk: c for c in view.cases}
    approved = Decision.objects.filter(complaint_id__in=list(cases), review=Decision.Review.APPROVED).order_by(
        "complaint_id", "version"
    )
    latest: dict[int, Decision] = {}
    for d in approved:  # the latest approved decision of each case
        latest[d.complaint_id] = d
    rows = [{"case": c, "decision": latest[c.pk]} for c in view.cases if c.pk in latest]
    via: dict[str, int] = {}
    for d in latest.values():
        if d.informed_via:
            via[d.informed_via] = via.get(d.informed_via, 0) + 1
    labels = dict(DeliveryChannel.choices)
    told = sorted(((str(labels.get(k, k)), n) for k, n in via.items()), key=lambda t: -t[1])
    return [
        Panel(
            template="workflow/panels/customer_decisions.html",
            context={"decision_rows": rows, "told_via": told},
            order=30,
        )
    ]
