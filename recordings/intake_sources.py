"""The intake form opened from a call (complaints:intake?recording=<id>): code hints from its
transcript, and the call linked to the new case (contributes to ``complaints.intake_sources``)."""

from __future__ import annotations

from complaints.intake_sources import IntakeSource, request_param
from voc.params import id_param

from .selectors import code_suggestions, recordings_visible_to
from .services import recording_link


def source_for(request) -> list[IntakeSource]:
    """A call the user may not see, or one already linked to a case, is refused: the
    suspected-complaint queue only offers calls that still need a case."""
    raw = request_param(request, "recording")
    if not raw:
        return []
    rec = recordings_visible_to(request.user).filter(pk=id_param(raw) or 0, complaint__isnull=True).first()
    if rec is None:
        return [IntakeSource.refused("recording")]

    def link(actor, case) -> None:
        recording_link(actor=actor, recording=rec, complaint=case)

    return [
        IntakeSource(
            param="recording",
            pk=rec.pk,
            template="recordings/_intake_source.html",
            context={"recording": rec, "suggestions": code_suggestions(rec)},
            link=link,
        )
    ]
