"""Recordings' part of the audit page (``accounts.audit_trail`` asks every app): a recording
by its number, linked to its page, with the case it belongs to."""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.audit_trail import AuditSubject

from .models import CallRecording

RECORDING = "recordings.callrecording"


def describe(refs: Mapping[str, set[str]], case_ids: set[int]) -> list[AuditSubject]:
    ids = [int(v) for v in refs.get(RECORDING, ()) if v.isascii() and v.isdigit() and len(v) <= 18]
    if not ids:
        return []
    recs = CallRecording.objects.filter(pk__in=ids).select_related("complaint").only("complaint__reference")
    out = []
    for rec in recs:
        case_ref = rec.complaint.reference if rec.complaint_id else ""
        case_url = reverse("workflow:case", args=[rec.complaint_id]) if rec.complaint_id else ""
        text = _("录音 #%(id)s") % {"id": rec.pk}
        out.append(
            AuditSubject(RECORDING, str(rec.pk), text, reverse("recordings:detail", args=[rec.pk]), case_ref, case_url)
        )
    return out


def case_events(reference: str) -> list[Q]:
    """Events whose object is one of the case's recordings (plays of the original, flags...)."""
    ids = [str(pk) for pk in CallRecording.objects.filter(complaint__reference=reference).values_list("pk", flat=True)]
    return [Q(object_type=RECORDING, object_id__in=ids)] if ids else []
