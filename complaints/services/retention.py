"""The retention job: anonymise or purge closed cases past the retention period (``manage.py
retention``, the weekly ``complaints.retention_run`` task), and regulator inquiries that hold cases.

The rules are in ``complaints.retention`` (pure); this module gathers the facts and acts.

Anonymise keeps what the reports count — codes, dates, org, channel, flags, state, timeliness,
result, redress, root cause, the verification and decision rows — and removes the personal data:
the case is detached from its customer (the customer row goes once no case refers to it, with its
cards), the summary and every free text on the case and its workflow rows are replaced or cleared,
the recordings lose their audio (original, listening copy, de-identified copy), transcripts,
file names and notes, and the notifications about the case or its recordings and its intake keys
are deleted.

Purge deletes the case with its workflow rows, recordings, closed inquiries and (once no other
case refers to it) its customer, then rebuilds the rollup days it was counted in. A case whose
recordings were played is anonymised instead: the play log refers to the recordings and is
append-only.

Append-only trails are never rewritten: ``AuditEvent`` (accounts 0003) and ``ListeningEvent``
(recordings 0005) keep their rows — who did or played what, when, by id; their writers store no
customer data in clear (masked detail). The case timeline (``CaseTransition``) keeps who, when,
from, to and the action; only its free-text reason is cleared, by this job alone.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditAction, User
from accounts.services import audit_record, notifications_forget
from voc.extensions import ExtensionPoint

from .. import pii
from .. import retention as rules
from ..models import Complaint, Customer, IntakeKey, RegulatorInquiry
from ..signals import send_purged
from ..states import FINAL_STATES, CaseState

# What replaces a required free-text field (stored data, the same in every language).
REMOVED = "［已匿名化］"

# What other apps keep on a case, asked for by batch (``<app>/retention.py``; issue 13: complaints
# names no app that builds on it). Strict: a failing contribution fails the batch, in production
# too — a case must be neither freed from a hold nor marked anonymised on a partial answer.
OPEN_WORK_FACTS = frozenset({"open_verifications", "pending_reviews", "active_recording_jobs"})  # rules.CaseFacts
OPEN_WORK = ExtensionPoint(
    "retention.open_work",
    owner="complaints",
    item=lambda i: isinstance(i, tuple) and len(i) == 3 and i[1] in OPEN_WORK_FACTS,
    strict=True,
)  # open_work(ids) -> [(case id, fact, count)]
STORED_FILES = ExtensionPoint("retention.stored_files", owner="complaints", item=str, strict=True)
ANONYMISE_ROWS = ExtensionPoint("retention.anonymise", owner="complaints", strict=True)  # (ids, *, removed)
PURGE_ROWS = ExtensionPoint("retention.purge", owner="complaints", strict=True)  # (ids): before the cases go
# (ids) -> [(what, how many)]: what the report counts of an app's rows that go ("recordings": 2)
COUNTS = ExtensionPoint(
    "retention.counts",
    owner="complaints",
    item=lambda i: isinstance(i, tuple) and len(i) == 2 and isinstance(i[0], str) and isinstance(i[1], int),
    strict=True,
)
# (ids) -> [case id]: cases an append-only trail refers to (a play log): purge anonymises them instead
KEPT_BY_TRAIL = ExtensionPoint("retention.kept_by_trail", owner="complaints", item=int, strict=True)


def retention_policy() -> rules.RetentionPolicy:
    """The policy in ``settings.VOC_RETENTION``; ImproperlyConfigured when it is invalid (e.g. under 3 years).

    Celery runs no system checks (complaints.E110), so the job refuses here too."""
    try:
        return rules.policy_from(getattr(settings, "VOC_RETENTION", {}))
    except ValueError as exc:
        raise ImproperlyConfigured(f"VOC_RETENTION: {exc}") from exc


@dataclass
class RetentionReport:
    """Counts of one run; the dry run and the run that follows it report the same numbers."""

    dry_run: bool
    action: str
    min_years: int
    today: date
    closed_on_or_before: date
    cases: int = 0  # cases acted on (or that would be): anonymised or purged
    anonymised: int = 0
    purged: int = 0
    anonymised_instead_of_purged: int = 0  # an append-only trail (the play log) refers to them
    files: int = 0  # files removed from storage (audio: original, listening copy, de-identified copy; evidence)
    customers_removed: int = 0
    counts: Counter = field(default_factory=Counter)  # the apps' rows that go (retention.counts)
    held: Counter = field(default_factory=Counter)  # reason -> cases left as they are
    per_org: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    completed: bool = False

    def as_detail(self) -> dict:
        detail = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("action", "counts")}
        detail["policy_action"] = self.action  # "action" is the audit event's own
        detail.update(self.counts)  # flat, as before the apps contributed them ("recordings": 2)
        detail.update(
            today=self.today.isoformat(),
            closed_on_or_before=self.closed_on_or_before.isoformat(),
            held=dict(self.held),
            per_org={org: dict(c) for org, c in sorted(self.per_org.items())},
        )
        return detail


def retention_run(
    *,
    apply: bool = False,
    policy: rules.RetentionPolicy | None = None,
    today: date | None = None,
    actor: User | None = None,
) -> RetentionReport:
    """Anonymise (or purge) every closed case past retention that nothing holds (``complaints.retention``).

    A dry run (the default) writes nothing but its audit event and reports the same counts the run
    with ``apply`` then reports. Cases are taken in batches of ``policy.batch_size``, each batch in
    one transaction with its cases locked (an inquiry opened meanwhile waits for the batch, or the
    batch sees it); an interrupted run keeps its finished batches and the next run continues.
    Audio files are removed inside the batch's transaction, after its rows are written: if the
    transaction then fails, the rows still say "not anonymised" and the next run finishes the job
    (files already gone are skipped). One audit event per run, with the counts, also on failure.
    """
    policy = policy or retention_policy()
    if policy.min_years < rules.LEGAL_MIN_YEARS:  # a policy built by hand gets the same refusal
        raise ImproperlyConfigured(f"VOC_RETENTION: min_years under {rules.LEGAL_MIN_YEARS} years")
    today = today or timezone.localdate()
    bound = rules.latest_eligible_closure(today, policy.min_years)
    report = RetentionReport(
        dry_run=not apply, action=policy.action, min_years=policy.min_years, today=today, closed_on_or_before=bound
    )
    report.counts.update(dict.fromkeys((what for what, _n in COUNTS.collect([])), 0))  # each named, 0 too
    candidates = retention_candidates(policy, today)
    done: set[int] = set()
    purged_days: set[date] = set()
    last = 0
    try:
        while True:
            batch = list(
                candidates.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[: policy.batch_size]
            )
            if not batch:
                break
            last = batch[-1]
            with transaction.atomic(durable=True):
                purged_days |= _run_batch([pk for pk in batch if pk not in done], policy, today, apply, report, done)
        report.completed = True
    finally:
        audit_record(
            actor=actor,
            action=AuditAction.RETENTION_APPLY if apply else AuditAction.RETENTION_DRY_RUN,
            object_type="retention",
            **report.as_detail(),
        )
    if apply and purged_days:
        send_purged(purged_days)  # analytics rebuilds the rollup days the purged cases were counted in
    return report


def retention_candidates(policy: rules.RetentionPolicy, today: date):
    """Cases in a final state closed on or before the last eligible day (local calendar); the rules then
    decide which of them are held. Under "anonymise", cases already anonymised are not candidates."""
    bound = rules.latest_eligible_closure(today, policy.min_years)
    qs = Complaint.objects.filter(status__in=FINAL_STATES, closed_at__lt=_start_of(bound + timedelta(days=1)))
    return qs.filter(anonymised_at__isnull=True) if policy.action == rules.ANONYMISE else qs


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _run_batch(
    batch: list[int], policy: rules.RetentionPolicy, today: date, apply: bool, report: RetentionReport, done: set[int]
) -> set[date]:
    if not batch:
        return set()
    if apply:  # hold the batch's cases (and, below, their groups) against concurrent changes
        list(Complaint.objects.select_for_update().filter(pk__in=batch).values_list("pk", flat=True))
    facts, orgs, statuses = _facts(batch)
    verdict = rules.decide(facts.values(), today=today, min_years=policy.min_years)
    eligible: set[int] = set()
    for pk in batch:
        holds = verdict.get(pk, (rules.HOLD_OPEN,))
        if holds:
            reason = rules.primary_hold(holds)
            report.held[reason] += 1
            report.per_org[orgs.get(pk, "?")][f"held:{reason}"] += 1
        else:  # a case goes with its whole group (a purge must delete duplicates with their original)
            eligible |= {pk, *facts[pk].linked_ids}
    eligible -= done
    if policy.action == rules.ANONYMISE:  # a linked case anonymised by an earlier run stays as it is
        eligible = {pk for pk in eligible if statuses[pk]["anonymised_at"] is None}
    if apply and eligible:
        list(Complaint.objects.select_for_update().filter(pk__in=eligible).values_list("pk", flat=True))
    done |= eligible
    if not eligible:
        return set()
    to_anonymise, to_purge = set(eligible), set()
    if policy.action == rules.PURGE:
        kept = _groups_kept_by_trail(eligible, facts)
        to_purge = eligible - kept
        to_anonymise = {pk for pk in kept if statuses[pk]["anonymised_at"] is None}
        report.anonymised_instead_of_purged += len(to_anonymise)
    for pk in to_anonymise:
        report.per_org[orgs[pk]][rules.ANONYMISE] += 1
    for pk in to_purge:
        report.per_org[orgs[pk]][rules.PURGE] += 1
    report.cases += len(to_anonymise) + len(to_purge)
    report.anonymised += len(to_anonymise)
    report.purged += len(to_purge)
    files = _case_files(to_anonymise | to_purge)
    report.files += len(files)
    for what, n in COUNTS.collect(sorted(to_anonymise | to_purge)):
        report.counts[what] += n
    report.customers_removed += _customers_left_without_case(to_anonymise | to_purge)
    if not apply:
        return set()
    now = timezone.now()
    customers = set(
        Complaint.objects.filter(pk__in=to_anonymise | to_purge, customer__isnull=False).values_list(
            "customer_id", flat=True
        )
    )
    _forget_notifications(to_anonymise | to_purge)
    if to_anonymise:
        _anonymise(to_anonymise, now)
    days = _purge(to_purge) if to_purge else set()
    _remove_customers_without_case(customers)
    for name in files:
        default_storage.delete(name)
    return days


# --- facts ------------------------------------------------------------------------------


def _facts(batch: Iterable[int]) -> tuple[dict[int, rules.CaseFacts], dict[int, str], dict[int, dict]]:
    """The facts of the batch's cases and of every case in their merge groups."""
    ids = set(batch)
    parents = set(
        Complaint.objects.filter(pk__in=ids, merged_into__isnull=False).values_list("merged_into_id", flat=True)
    )
    ids |= parents
    ids |= set(Complaint.objects.filter(merged_into_id__in=ids).values_list("pk", flat=True))
    rows = {
        r["pk"]: r
        for r in Complaint.objects.filter(pk__in=ids).values(
            "pk", "status", "closed_at", "merged_into_id", "anonymised_at", "responsible_org__code"
        )
    }
    children: dict[int, list[int]] = defaultdict(list)
    for r in rows.values():
        if r["merged_into_id"]:
            children[r["merged_into_id"]].append(r["pk"])

    def per_case(qs) -> Counter:
        return Counter(dict(qs.values_list("complaint_id").annotate(n=Count("id")).order_by()))

    inquiries = per_case(RegulatorInquiry.objects.filter(complaint_id__in=ids, closed_on__isnull=True))
    open_work: dict[str, Counter] = defaultdict(Counter)
    for pk, fact, n in OPEN_WORK.collect(ids):
        open_work[fact][pk] += n
    undo_days = int(getattr(settings, "WORKFLOW_UNMERGE_DAYS", 30))
    facts = {}
    for pk, r in rows.items():
        closed_on = timezone.localtime(r["closed_at"]).date() if r["closed_at"] else None
        merged = r["status"] == CaseState.MERGED and closed_on is not None
        group = {r["merged_into_id"]} | set(children.get(r["merged_into_id"], ())) if r["merged_into_id"] else set()
        group |= set(children.get(pk, ()))
        group.discard(None)
        group.discard(pk)
        facts[pk] = rules.CaseFacts(
            case_id=pk,
            is_final=r["status"] in FINAL_STATES,
            closed_on=closed_on,
            open_inquiries=inquiries[pk],
            open_verifications=open_work["open_verifications"][pk],
            pending_reviews=open_work["pending_reviews"][pk],
            unmerge_until=closed_on + timedelta(days=undo_days) if merged else None,
            active_recording_jobs=open_work["active_recording_jobs"][pk],
            linked_ids=tuple(sorted(group)),
        )
    return facts, {pk: r["responsible_org__code"] for pk, r in rows.items()}, rows


def _groups_kept_by_trail(eligible: set[int], facts: dict[int, rules.CaseFacts]) -> set[int]:
    """The eligible cases an append-only trail refers to, with every case of their merge groups."""
    kept = set(KEPT_BY_TRAIL.collect(sorted(eligible)))
    return {pk for pk in eligible if pk in kept or kept.intersection(facts[pk].linked_ids)}


def _case_files(ids: set[int]) -> list[str]:
    """Stored files of these cases that exist (the apps name them: audio, pause evidence)."""
    names = STORED_FILES.collect(sorted(ids))
    return sorted(n for n in set(names) if default_storage.exists(n))


def _customers_left_without_case(ids: set[int]) -> int:
    """Customers of these cases that no other case refers to (they go with them)."""
    customers = set(Complaint.objects.filter(pk__in=ids, customer__isnull=False).values_list("customer_id", flat=True))
    kept = set(
        Complaint.objects.filter(customer_id__in=customers).exclude(pk__in=ids).values_list("customer_id", flat=True)
    )
    return len(customers - kept)


# --- acting -----------------------------------------------------------------------------


def _anonymise(ids: set[int], now: datetime) -> None:
    cases = Complaint.objects.filter(pk__in=ids)
    # the apps' rows (workflow.retention, recordings.retention: transcripts, audio names, notes)
    ANONYMISE_ROWS.call(sorted(ids), removed=REMOVED)
    RegulatorInquiry.objects.filter(complaint_id__in=ids).exclude(note="").update(note="")
    IntakeKey.objects.filter(complaint_id__in=ids).delete()
    cases.update(
        customer=None, summary=REMOVED, details="", search_grams="", anonymised_at=now, updated_at=now,
    )  # fmt: skip


def _forget_notifications(ids: set[int]) -> None:
    """Notifications about these cases go (titles and bodies name the customer and the complaint);
    they point at them generically, so nothing cascades. The apps forget the notifications about
    their own rows when they anonymise or purge them (recordings.retention)."""
    notifications_forget(target_type=Complaint._meta.label_lower, ids=ids)


def _purge(ids: set[int]) -> set[date]:
    """Delete the cases (duplicates before their original); the rollup days they were counted in."""
    days = {
        timezone.localtime(t).date() for t in Complaint.objects.filter(pk__in=ids).values_list("received_at", flat=True)
    }
    # the apps' rows that protect the cases or refer to each other (workflow.retention, recordings.retention)
    PURGE_ROWS.call(sorted(ids))
    RegulatorInquiry.objects.filter(complaint_id__in=ids).delete()  # closed ones: an open one holds the case
    Complaint.objects.filter(pk__in=ids, merged_into__isnull=False).delete()
    Complaint.objects.filter(pk__in=ids).delete()
    return days


def _remove_customers_without_case(customer_ids: set[int]) -> None:
    """Customers of the cases just anonymised or purged that no case refers to any more (cards go with them)."""
    Customer.objects.filter(pk__in=customer_ids, complaints__isnull=True).delete()


# --- regulator inquiries ------------------------------------------------------------------


@transaction.atomic(durable=True)
def regulator_inquiry_open(
    *, actor: User, complaint: Complaint, reference: str, opened_on: date, note: str = ""
) -> RegulatorInquiry:
    """Record a regulator's inquiry about a case: until it is closed the retention job leaves the case alone.

    The case row is locked first, so a retention batch running at the same moment either
    finishes before the inquiry is recorded or sees it."""
    reference = pii.mask_text((reference or "").strip())[:64]
    if not reference:
        raise ValidationError({"reference": _("监管文号必填")})
    case = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if case.anonymised_at is not None:
        raise ValidationError(_("该投诉的个人信息已按保存期限删除"))
    inquiry = RegulatorInquiry.objects.create(
        complaint=case, reference=reference, opened_on=opened_on, note=pii.mask_text(note)[:500], recorded_by=actor
    )
    audit_record(
        actor=actor, action=AuditAction.REGULATOR_INQUIRY_OPEN, obj=inquiry, complaint=case.pk, reference=reference
    )
    return inquiry


@transaction.atomic(durable=True)
def regulator_inquiry_close(*, actor: User, inquiry: RegulatorInquiry, closed_on: date) -> RegulatorInquiry:
    """Close an inquiry; the case is again subject to the retention policy."""
    inquiry = RegulatorInquiry.objects.select_for_update().get(pk=inquiry.pk)
    if closed_on < inquiry.opened_on:
        raise ValidationError({"closed_on": _("结束日期早于开始日期")})
    inquiry.closed_on = closed_on
    inquiry.save(update_fields=["closed_on"])
    audit_record(actor=actor, action=AuditAction.REGULATOR_INQUIRY_CLOSE, obj=inquiry, complaint=inquiry.complaint_id)
    return inquiry
