"""The workflow's part of the retention job (``complaints.services.retention`` owns the points and
names no app, issue 13): what on a case's workflow rows holds it, which stored files they keep,
and how their personal data is removed or the rows deleted. Called inside the job's batch
transaction with the batch's cases locked; a failure propagates (strict points) and the batch
rolls back, so no case is marked anonymised while its workflow rows keep the customer's data."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count

from complaints.states import CaseState

from .models import (
    Assignment,
    CaseComment,
    CaseTransition,
    Decision,
    ExtensionRequest,
    InvolvedStaff,
    Pause,
    PauseRequest,
    VerificationRequest,
)

# A case that ended without a decision keeps a pending draft for ever; it holds nothing.
_ENDED_WITHOUT_DECISION = (CaseState.WITHDRAWN, CaseState.MERGED, CaseState.NOT_ACCEPTED)


def _per_case(qs, fact: str) -> list[tuple[int, str, int]]:
    return [(pk, fact, n) for pk, n in qs.values_list("complaint_id").annotate(n=Count("id")).order_by()]


def open_work(ids: Iterable[int]) -> list[tuple[int, str, int]]:
    """(case id, fact, count): verifications (核实) not decided and decisions awaiting review."""
    ids = list(ids)
    pending = Decision.objects.filter(complaint_id__in=ids, review=Decision.Review.PENDING)
    return [
        *_per_case(VerificationRequest.objects.filter(complaint_id__in=ids, outcome=""), "open_verifications"),
        *_per_case(pending.exclude(complaint__status__in=_ENDED_WITHOUT_DECISION), "pending_reviews"),
    ]


def stored_files(ids: Iterable[int]) -> list[str]:
    """Names of the pause requests' evidence files (the storage may no longer have them)."""
    return [n for n in PauseRequest.objects.filter(complaint_id__in=list(ids)).values_list("evidence", flat=True) if n]


def anonymise(ids: Iterable[int], *, removed: str) -> None:
    """Every free text on the cases' workflow rows replaced by ``removed`` or cleared; the timeline
    keeps who, when, from, to and the action (only its reason goes, and a customer's message's sender
    and subject)."""
    ids = list(ids)
    CaseTransition.objects.filter(complaint_id__in=ids).exclude(reason="").update(reason="")
    # A customer's message filed to the case (a reply by e-mail) names its sender and subject.
    for pk, data in CaseTransition.objects.filter(complaint_id__in=ids, action="customer_message").values_list(
        "pk", "data"
    ):
        data = {**(data or {}), "subject": removed, "sender": ""}
        CaseTransition.objects.filter(pk=pk).update(data=data)
    CaseComment.objects.filter(complaint_id__in=ids).update(body=removed)
    Assignment.objects.filter(complaint_id__in=ids).exclude(reason="").update(reason="")
    InvolvedStaff.objects.filter(complaint_id__in=ids).exclude(note="").update(note="")
    Decision.objects.filter(complaint_id__in=ids).update(text=removed, review_comment="")
    ExtensionRequest.objects.filter(complaint_id__in=ids).update(reason=removed, decision_comment="")
    # The appraisal's reference is the commissioning body's number; it stands in for the evidence file.
    PauseRequest.objects.filter(complaint_id__in=ids, reference="").update(reference=removed)
    PauseRequest.objects.filter(complaint_id__in=ids).update(note=removed, evidence="", decision_comment="")
    Pause.objects.filter(complaint_id__in=ids).update(note=removed)
    VerificationRequest.objects.filter(complaint_id__in=ids).update(reason=removed, comment="")


def purge(ids: Iterable[int]) -> None:
    """The rows that refer to each other go first, in order; the rest cascade with the cases."""
    ids = list(ids)
    Decision.objects.filter(complaint_id__in=ids).update(from_verification=None)
    VerificationRequest.objects.filter(complaint_id__in=ids).delete()
    Decision.objects.filter(complaint_id__in=ids).delete()
    Pause.objects.filter(complaint_id__in=ids).delete()
    PauseRequest.objects.filter(complaint_id__in=ids).delete()


def counts(ids: Iterable[int]) -> list[tuple[str, int]]:
    """The run's report counts none of the workflow's rows (their number says nothing of the customer)."""
    return []


def kept_by_trail(ids: Iterable[int]) -> list[int]:
    """No workflow row keeps a case from being purged: the case log goes with the case."""
    return []
