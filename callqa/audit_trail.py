"""Call QA's part of the audit page (``accounts.audit_trail`` asks every app): an overturned hit
by its call, linked to the call's QA page, with the case the call belongs to."""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.audit_trail import AuditSubject

from .models import QaHit

HIT = "callqa.qahit"


def describe(refs: Mapping[str, set[str]], case_ids: set[int]) -> list[AuditSubject]:
    ids = [int(v) for v in refs.get(HIT, ()) if v.isascii() and v.isdigit() and len(v) <= 18]
    if not ids:
        return []
    hits = QaHit.objects.filter(pk__in=ids).select_related("score__recording__complaint")
    out = []
    for hit in hits:
        rec = hit.score.recording
        case_ref = rec.complaint.reference if rec.complaint_id else ""
        case_url = reverse("workflow:case", args=[rec.complaint_id]) if rec.complaint_id else ""
        text = _("质检命中：录音 #%(id)s · %(rule)s") % {"id": rec.pk, "rule": hit.rule_key}
        out.append(AuditSubject(HIT, str(hit.pk), text, reverse("callqa:call", args=[rec.pk]), case_ref, case_url))
    return out


def case_events(reference: str) -> list[Q]:
    """Overturns of hits on the case's calls."""
    ids = [
        str(pk)
        for pk in QaHit.objects.filter(score__recording__complaint__reference=reference).values_list("pk", flat=True)
    ]
    return [Q(object_type=HIT, object_id__in=ids)] if ids else []
