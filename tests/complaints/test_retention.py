"""Retention (issue 12): closed cases past 3 years are anonymised or purged by policy, never a case
under an open regulator inquiry; the dry run changes nothing and reports the counts the run then
reports; recordings leave storage; the reports count the same after anonymisation.

Cases are registered through the intake service on their receipt day (the clock pinned there) and
placed closed with the fixture shortcut; the job runs on PINNED_TODAY.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError

from accounts import roles
from accounts.models import AuditEvent, Notification
from analytics.models import DailyRollup, MonthlyRollup
from analytics.services import rollup_rebuild
from complaints import retention as rules
from complaints.models import Complaint, Customer, IntakeKey, RegulatorInquiry
from complaints.services import CustomerInput
from complaints.services.retention import (
    REMOVED,
    regulator_inquiry_close,
    regulator_inquiry_open,
    retention_run,
)
from complaints.states import CaseState
from recordings.models import CallRecording, ListeningEvent, TranscriptSegment
from recordings.services.playback import LISTENING_COPY_SUFFIX
from tests.conftest import PINNED_TODAY
from tests.recordings.conftest import make_recording
from workflow.models import CaseComment, CaseTransition, Decision, VerificationRequest

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")

THREE_YEARS_AND_A_DAY = PINNED_TODAY.replace(year=PINNED_TODAY.year - 3) - timedelta(days=1)
EXACTLY_THREE_YEARS = PINNED_TODAY.replace(year=PINNED_TODAY.year - 3)
TWO_YEARS_364_DAYS = PINNED_TODAY.replace(year=PINNED_TODAY.year - 2) - timedelta(days=364)
PII_DETAILS = "客户张伟称卡号6222021234567890被扣年费，手机13812345678，住朝阳区幸福路8号。"


def at(day: date, hh: int = 10, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=SH)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VOC_RETENTION = {"min_years": 3, "action": "anonymise", "batch_size": 2, "scheduled_apply": False}


@pytest.fixture
def people(org_tree, make_user):
    return {
        "handler": make_user(roles.BRANCH_HANDLER, org_tree.bj),
        "officer": make_user(roles.HO_OFFICER, org_tree.ho),
        "listener": make_user(roles.LISTENING_MANAGER, org_tree.ho),
    }


_mobiles = iter(range(13800000001, 13899999999))


@pytest.fixture
def closed_case(register, org_tree, people):
    """A case registered 20 days before ``closed_on`` and closed on it at ``hh``:``mm`` local, with a
    history carrying personal data: timeline reasons, a comment, an approved decision, a decided
    verification, a recording (original, listening copy, de-identified copy, transcript), a notification."""

    def make(closed_on: date, *, org=None, status=CaseState.CLOSED, hh=10, mm=0, mobile=None, history=True, **fields):
        org = org or org_tree.bj
        received = at(closed_on - timedelta(days=20))
        customer = CustomerInput(name="张伟", title="mr", mobile=str(mobile or next(_mobiles)), home_org=org)
        with time_machine.travel(received, tick=False):
            case = register(customer=customer, details=PII_DETAILS, responsible_org=org, received_at=received)
        closed = at(closed_on, hh, mm)
        outcome = {"result": "upheld", "redress_amount": 300, "redress_type": "refund", "decision_timely": True}
        if status != CaseState.CLOSED:
            outcome = {}
        Complaint.objects.filter(pk=case.pk).update(
            status=status, closed_at=closed, decided_at=closed - timedelta(days=2),
            first_response_at=received + timedelta(hours=1), **outcome, **fields,
        )  # fmt: skip
        if history:
            CaseTransition.objects.create(
                complaint=case, action="close", from_state="responded", to_state=status, actor=people["handler"],
                reason="已电话告知张伟先生，13812345678", at=closed,
            )  # fmt: skip
            CaseComment.objects.create(
                complaint=case, author=people["handler"], body="客户张伟住朝阳区幸福路8号", at=closed
            )
            decision = Decision.objects.create(
                complaint=case, text="退还张伟年费300元", proposed_result="upheld", author=people["handler"],
                review=Decision.Review.APPROVED, reviewed_by=people["officer"],
            )  # fmt: skip
            VerificationRequest.objects.create(
                complaint=case, decision=decision, requested_on=closed_on - timedelta(days=5),
                upper_org=org_tree.ho, reason="张伟不服", due_date=closed_on + timedelta(days=25),
                recorded_by=people["officer"], outcome=VerificationRequest.Outcome.UPHELD,
            )  # fmt: skip
            rec = make_recording(Complaint.objects.get(pk=case.pk), tag=f"c{case.pk}")
            default_storage.save(rec.file.name + LISTENING_COPY_SUFFIX, default_storage.open(rec.file.name))
            Notification.objects.create(
                recipient=people["handler"], kind="due", title=f"{case.reference} 张先生",
                target_type="complaints.complaint", target_id=case.pk, dedupe_key=f"n{case.pk}",
            )  # fmt: skip
            Notification.objects.create(
                recipient=people["handler"], kind="typical_recording", title=f"典型录音待收听：{case.reference}",
                target_type="recordings.callrecording", target_id=rec.pk, dedupe_key=f"r{rec.pk}",
            )  # fmt: skip
        return Complaint.objects.get(pk=case.pk)

    return make


def files_of(case: Complaint) -> list[str]:
    names = []
    for rec in CallRecording.objects.filter(complaint=case):
        names += [rec.file.name, rec.file.name + LISTENING_COPY_SUFFIX, rec.redacted_file.name]
    return [n for n in names if n]


def snapshot(case: Complaint) -> dict:
    """Everything stored about a case and its history (to show it is untouched)."""
    row = Complaint.objects.filter(pk=case.pk).values().get()
    row.pop("updated_at")
    return {
        "case": row,
        "customer": Customer.objects.filter(pk=row["customer_id"]).values().first(),
        "timeline": list(CaseTransition.objects.filter(complaint=case).values_list("reason", flat=True)),
        "comments": list(CaseComment.objects.filter(complaint=case).values_list("body", flat=True)),
        "decisions": list(Decision.objects.filter(complaint=case).values_list("text", flat=True)),
        "recordings": list(CallRecording.objects.filter(complaint=case).values("file", "redacted_file", "sha256")),
        "segments": TranscriptSegment.objects.filter(recording__complaint=case).count(),
        "files": [default_storage.exists(n) for n in files_of(case)],
    }


def rollups() -> tuple[list, list]:
    daily = DailyRollup.objects.order_by("day", "org", "code_a", "code_b", "code_c", "channel").values()
    monthly = MonthlyRollup.objects.order_by("month", "org", "code_b", "code_c").values()
    return [{k: v for k, v in r.items() if k != "id"} for r in daily], [
        {k: v for k, v in r.items() if k != "id"} for r in monthly
    ]


def counts(report) -> dict:
    detail = report.as_detail()
    for key in ("dry_run", "completed"):
        detail.pop(key)
    return detail


# --- the rule on age --------------------------------------------------------------------


def test_a_case_closed_three_years_and_a_day_ago_is_anonymised_and_keeps_what_reports_count(closed_case, pin_clock):
    case = closed_case(THREE_YEARS_AND_A_DAY)
    files = files_of(case)
    assert len(files) == 3 and all(default_storage.exists(n) for n in files)
    kept_fields = ("reference", "code_a_id", "code_b_id", "code_c_id", "responsible_org_id", "received_at",
                   "closed_at", "status", "result", "redress_amount", "decision_timely", "channel", "is_repeat")  # fmt: skip
    before = Complaint.objects.filter(pk=case.pk).values(*kept_fields).get()
    customer_id = case.customer_id
    segments = TranscriptSegment.objects.filter(recording__complaint=case).count()
    assert segments > 0
    pin_clock(PINNED_TODAY)

    report = retention_run(apply=True)

    after = Complaint.objects.get(pk=case.pk)
    assert Complaint.objects.filter(pk=case.pk).values(*kept_fields).get() == before
    assert after.anonymised_at is not None
    assert (after.customer_id, after.summary, after.details, after.search_grams) == (None, REMOVED, "", "")
    assert not Customer.objects.filter(pk=customer_id).exists()  # no other case: the customer row is gone
    assert not any(default_storage.exists(n) for n in files)  # original, listening copy, de-identified copy
    rec = CallRecording.objects.get(complaint=case)
    assert (rec.file.name, rec.redacted_file.name, rec.original_name) == ("", "", "")
    assert not TranscriptSegment.objects.filter(recording=rec).exists()
    # Free text on the history is gone; who, when, from, to and the outcome rows stay.
    assert set(CaseTransition.objects.filter(complaint=case).values_list("reason", flat=True)) == {""}
    assert CaseTransition.objects.filter(complaint=case, action="close").exists()
    assert list(CaseComment.objects.filter(complaint=case).values_list("body", flat=True)) == [REMOVED]
    assert list(Decision.objects.filter(complaint=case).values_list("text", "proposed_result")) == [(REMOVED, "upheld")]
    assert VerificationRequest.objects.get(complaint=case).reason == REMOVED
    # Notifications about the case and about its recordings go with it (nothing cascades to them).
    assert not Notification.objects.exists()
    assert not IntakeKey.objects.filter(complaint=case).exists()
    # Nothing of the customer is left anywhere on the case (name, phone, card, address).
    dump = str(snapshot(after)) + str(list(CaseTransition.objects.filter(complaint=case).values()))
    for fragment in ("张伟", "13812345678", "6222021234567890", "幸福路"):
        assert fragment not in dump
    assert (report.cases, report.anonymised, report.counts["recordings"], report.files, report.customers_removed) == (
        1,
        1,
        1,
        3,
        1,
    )
    assert dict(report.per_org) == {"BJ": {"anonymise": 1}}
    event = AuditEvent.objects.get(action="retention_apply")
    assert event.detail["cases"] == 1 and event.detail["per_org"] == {"BJ": {"anonymise": 1}}
    # the recordings' counts (contributed through retention.counts) are in the audit, flat as before
    assert (event.detail["recordings"], event.detail["transcript_segments"]) == (1, segments)

    assert retention_run(apply=True).cases == 0  # a second run finds nothing left to do


@pytest.mark.parametrize(
    ("closed_on", "hh", "mm"),
    [(TWO_YEARS_364_DAYS, 10, 0), (EXACTLY_THREE_YEARS, 0, 5), (EXACTLY_THREE_YEARS, 23, 59)],
    ids=["2y364d", "3y-to-the-day-early", "3y-to-the-day-late"],
)
def test_a_case_not_yet_past_three_years_is_untouched(closed_case, pin_clock, closed_on, hh, mm):
    case = closed_case(closed_on, hh=hh, mm=mm)
    before = snapshot(case)
    pin_clock(PINNED_TODAY)

    report = retention_run(apply=True)

    assert snapshot(case) == before and all(before["files"])
    assert report.cases == 0 and report.held == {}  # not even a candidate
    # every count an app contributes is named in the audit, 0 too
    assert report.counts == {
        "recordings": 0, "transcript_segments": 0, "mails": 0, "mail_attachments": 0, "wechat_messages": 0
    }  # fmt: skip
    assert AuditEvent.objects.get(action="retention_apply").detail["recordings"] == 0


def test_the_day_boundary_is_the_local_calendar_day(closed_case, pin_clock):
    late = closed_case(THREE_YEARS_AND_A_DAY, hh=23, mm=59, history=False)  # 15:59 UTC: still that local day
    pin_clock(PINNED_TODAY, hour=0)
    retention_run(apply=True)
    assert Complaint.objects.get(pk=late.pk).anonymised_at is not None


# --- holds --------------------------------------------------------------------------------


def test_a_case_under_an_open_regulator_inquiry_is_untouched_with_its_merged_duplicate(closed_case, pin_clock, people):
    original = closed_case(THREE_YEARS_AND_A_DAY - timedelta(days=30))
    duplicate = closed_case(
        THREE_YEARS_AND_A_DAY - timedelta(days=60), status=CaseState.MERGED, merged_into_id=original.pk
    )
    other = closed_case(THREE_YEARS_AND_A_DAY - timedelta(days=30))
    inquiry = regulator_inquiry_open(
        actor=people["officer"], complaint=original, reference="银保监问询-2023-118", opened_on=date(2026, 11, 2)
    )
    before = [snapshot(original), snapshot(duplicate)]
    pin_clock(PINNED_TODAY)

    report = retention_run(apply=True)

    assert [snapshot(original), snapshot(duplicate)] == before
    assert Complaint.objects.get(pk=other.pk).anonymised_at is not None
    assert report.held == {rules.HOLD_INQUIRY: 1, rules.HOLD_LINKED: 1}
    assert report.per_org["BJ"] == {"anonymise": 1, "held:regulator_inquiry": 1, "held:linked_case_held": 1}

    regulator_inquiry_close(actor=people["officer"], inquiry=inquiry, closed_on=PINNED_TODAY)
    report = retention_run(apply=True)
    assert report.anonymised == 2 and report.held == {}
    assert Complaint.objects.filter(pk__in=[original.pk, duplicate.pk], anonymised_at__isnull=False).count() == 2
    assert RegulatorInquiry.objects.get(pk=inquiry.pk).reference == "银保监问询-2023-118"  # kept for the regulator


def test_open_verification_review_and_running_transcription_hold_an_old_case(closed_case, pin_clock, people):
    verifying = closed_case(THREE_YEARS_AND_A_DAY)
    VerificationRequest.objects.filter(complaint=verifying).update(outcome="")
    reviewing = closed_case(THREE_YEARS_AND_A_DAY)
    Decision.objects.create(complaint=reviewing, version=2, text="变更", proposed_result="upheld",
                            author=people["handler"])  # fmt: skip
    transcribing = closed_case(THREE_YEARS_AND_A_DAY)
    CallRecording.objects.filter(complaint=transcribing).update(status=CallRecording.Status.PROCESSING)
    withdrawn_with_draft = closed_case(THREE_YEARS_AND_A_DAY, status=CaseState.WITHDRAWN)
    Decision.objects.filter(complaint=withdrawn_with_draft).update(review=Decision.Review.PENDING)
    pin_clock(PINNED_TODAY)

    report = retention_run(apply=True)

    assert report.held == {rules.HOLD_VERIFICATION: 1, rules.HOLD_REVIEW: 1, rules.HOLD_RECORDING_JOB: 1}
    assert Complaint.objects.filter(anonymised_at__isnull=False).get().pk == withdrawn_with_draft.pk


def test_a_customer_with_a_recent_case_keeps_that_case_and_their_details(closed_case, pin_clock):
    old = closed_case(THREE_YEARS_AND_A_DAY, mobile=13911112222)
    recent = closed_case(date(2026, 6, 1), mobile=13911112222)
    assert old.customer_id == recent.customer_id
    customer = Customer.objects.filter(pk=recent.customer_id).values().get()
    pin_clock(PINNED_TODAY)

    retention_run(apply=True)

    assert Complaint.objects.get(pk=old.pk).customer_id is None
    assert Complaint.objects.get(pk=recent.pk).customer_id == customer["id"]
    assert Customer.objects.filter(pk=customer["id"]).values().get() == customer


# --- dry run, reports, purge ----------------------------------------------------------------


def test_a_dry_run_changes_nothing_and_reports_the_counts_the_run_then_reports(
    closed_case, pin_clock, org_tree, people
):
    cases = [closed_case(THREE_YEARS_AND_A_DAY - timedelta(days=i)) for i in range(3)]
    cases.append(closed_case(THREE_YEARS_AND_A_DAY, org=org_tree.sh))
    held = closed_case(THREE_YEARS_AND_A_DAY, org=org_tree.sh)
    regulator_inquiry_open(actor=people["officer"], complaint=held, reference="JG-1", opened_on=date(2026, 1, 5))
    recent = closed_case(TWO_YEARS_364_DAYS)
    before = [snapshot(c) for c in (*cases, held, recent)]
    customers = Customer.objects.count()
    pin_clock(PINNED_TODAY)

    dry = retention_run(apply=False)

    assert [snapshot(c) for c in (*cases, held, recent)] == before and Customer.objects.count() == customers
    assert dry.dry_run and dry.cases == 4
    assert dict(dry.per_org) == {"BJ": {"anonymise": 3}, "SH": {"anonymise": 1, "held:regulator_inquiry": 1}}
    assert AuditEvent.objects.filter(action="retention_dry_run").count() == 1

    applied = retention_run(apply=True)
    assert counts(applied) == counts(dry)
    assert (applied.files, applied.counts["recordings"], applied.customers_removed) == (12, 4, 4)
    assert Complaint.objects.filter(anonymised_at__isnull=False).count() == 4


def test_analytics_rollup_counts_stay_the_same_after_anonymisation(closed_case, pin_clock, org_tree):
    for i in range(3):
        closed_case(THREE_YEARS_AND_A_DAY - timedelta(days=i))
    closed_case(THREE_YEARS_AND_A_DAY, org=org_tree.sh, status=CaseState.WITHDRAWN)
    closed_case(TWO_YEARS_364_DAYS)
    pin_clock(PINNED_TODAY)
    rollup_rebuild()
    before = rollups()
    assert sum(r["total"] for r in before[0]) == 5 and sum(r["verification"] for r in before[0]) == 5

    assert retention_run(apply=True).anonymised == 4

    assert rollups() == before
    rollup_rebuild()  # recomputed from the anonymised rows: the same numbers
    assert rollups() == before


def test_purge_deletes_old_cases_and_their_files_but_anonymises_a_case_whose_recording_was_played(
    closed_case, pin_clock, settings, people
):
    settings.VOC_RETENTION = {**settings.VOC_RETENTION, "action": "purge"}
    gone = closed_case(THREE_YEARS_AND_A_DAY)
    played = closed_case(THREE_YEARS_AND_A_DAY)
    ListeningEvent.objects.create(recording=CallRecording.objects.get(complaint=played), user=people["listener"],
                                  version="redacted")  # fmt: skip
    recent = closed_case(TWO_YEARS_364_DAYS)
    files = files_of(gone) + files_of(played)
    pin_clock(PINNED_TODAY)
    rollup_rebuild()
    total_before = sum(DailyRollup.objects.values_list("total", flat=True))
    plays, audits = ListeningEvent.objects.count(), AuditEvent.objects.count()

    dry = retention_run(apply=False)
    report = retention_run(apply=True)

    assert counts(report) == counts(dry)
    assert (report.purged, report.anonymised_instead_of_purged) == (1, 1)
    assert not Complaint.objects.filter(pk=gone.pk).exists()
    assert not CallRecording.objects.filter(complaint_id=gone.pk).exists()
    assert Complaint.objects.get(pk=played.pk).anonymised_at is not None
    assert Complaint.objects.filter(pk=recent.pk, anonymised_at__isnull=True).exists()
    assert not any(default_storage.exists(n) for n in files)
    # The purged and the anonymised case's notifications (about them or their recordings) went,
    # though nothing cascades to them; the recent case keeps its own.
    assert set(Notification.objects.values_list("target_type", "target_id")) == {
        ("complaints.complaint", recent.pk),
        ("recordings.callrecording", CallRecording.objects.get(complaint=recent).pk),
    }
    # The append-only trails keep every row (two runs added their own audit events).
    assert ListeningEvent.objects.count() == plays and AuditEvent.objects.count() == audits + 2
    assert sum(DailyRollup.objects.values_list("total", flat=True)) == total_before - 1  # the purged case's day rebuilt


# --- policy, command, beat ----------------------------------------------------------------------


@pytest.mark.parametrize("policy", [{"min_years": 2}, {"min_years": 3, "action": "delete"}, {"min_years": "3"}])
def test_a_policy_under_three_years_or_malformed_fails_the_check_and_the_job_refuses(settings, policy):
    settings.VOC_RETENTION = policy
    with pytest.raises(SystemCheckError, match="complaints.E110"):
        call_command("check")
    with pytest.raises(CommandError, match="VOC_RETENTION"):
        call_command("retention", "--apply")
    from complaints.tasks import retention_run as task

    with pytest.raises(Exception, match="VOC_RETENTION"):
        task.apply(throw=True)
    assert not AuditEvent.objects.filter(action__startswith="retention").exists()


def test_the_command_shows_counts_per_org_and_acts_only_with_apply(closed_case, pin_clock, org_tree, capsys):
    closed_case(THREE_YEARS_AND_A_DAY)
    closed_case(THREE_YEARS_AND_A_DAY, org=org_tree.sh)
    pin_clock(PINNED_TODAY)

    call_command("retention")
    out = capsys.readouterr().out
    assert "DRY RUN" in out and "would be anonymised: 2" in out and ". Recordings: 2. Transcript segments: " in out
    assert [line.split() for line in out.splitlines() if line.startswith(("BJ", "SH"))] == [["BJ", "1"], ["SH", "1"]]
    assert not Complaint.objects.filter(anonymised_at__isnull=False).exists()

    call_command("retention", "--apply")
    assert "APPLIED" in capsys.readouterr().out
    assert Complaint.objects.filter(anonymised_at__isnull=False).count() == 2


def test_the_weekly_beat_task_records_a_dry_run_unless_the_policy_applies(closed_case, pin_clock, settings):
    from voc.celery import app

    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "complaints.retention_run")
    assert entry["schedule"].day_of_week == {0} and len(entry["schedule"].hour) == 1  # weekly, Sundays
    task = app.tasks["complaints.retention_run"]
    case = closed_case(THREE_YEARS_AND_A_DAY, history=False)
    pin_clock(PINNED_TODAY)

    assert task.apply().get() == {"dry_run": True, "cases": 1, "held": 0}
    assert Complaint.objects.get(pk=case.pk).anonymised_at is None

    settings.VOC_RETENTION = {**settings.VOC_RETENTION, "scheduled_apply": True}
    assert task.apply().get() == {"dry_run": False, "cases": 1, "held": 0}
    assert Complaint.objects.get(pk=case.pk).anonymised_at is not None


def test_an_anonymised_case_and_its_recording_still_open_and_show_no_personal_data(
    closed_case, pin_clock, people, client
):
    from django.urls import reverse

    case = closed_case(THREE_YEARS_AND_A_DAY)
    rec = CallRecording.objects.get(complaint=case)
    pin_clock(PINNED_TODAY)
    client.force_login(people["officer"])
    detail = reverse("workflow:case", args=[case.pk])
    assert "幸福路" in client.get(detail).content.decode()  # the details as the customer gave them

    retention_run(apply=True)

    pages = [
        reverse("workflow:case", args=[case.pk]),
        reverse("recordings:detail", args=[rec.pk]),
        reverse("recordings:case", args=[case.reference]),
    ]
    for url in pages:
        response = client.get(url)
        body = response.content.decode()
        assert response.status_code == 200, url
        assert case.reference in body and "张伟" not in body and "幸福路" not in body, url
    assert REMOVED in client.get(pages[0]).content.decode()
    for version in ("original", "redacted"):  # the audio is gone: nothing to play
        assert client.get(reverse("recordings:audio", args=[rec.pk, version])).status_code == 404


def test_an_inquiry_recorded_in_the_admin_holds_the_case_and_is_audited(closed_case, pin_clock, org_tree, client):
    from django.urls import reverse

    from tests.accounts.factories import UserFactory

    case = closed_case(THREE_YEARS_AND_A_DAY, history=False)
    admin_user = UserFactory(username="root", org=org_tree.ho, roles=(roles.ADMIN,))
    type(admin_user).objects.filter(pk=admin_user.pk).update(is_staff=True, is_superuser=True)
    pin_clock(PINNED_TODAY)
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:complaints_regulatorinquiry_add"),
        {"complaint": case.pk, "reference": "监管问询-2026-7", "opened_on": "2026-11-30", "note": ""},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    inquiry = RegulatorInquiry.objects.get(complaint=case)
    assert inquiry.recorded_by == admin_user and inquiry.is_open
    assert AuditEvent.objects.filter(object_type="complaints.regulatorinquiry", object_id=str(inquiry.pk)).exists()
    assert "监管问询-2026-7" in client.get(reverse("admin:complaints_regulatorinquiry_changelist")).content.decode()
    assert retention_run(apply=True).held == {rules.HOLD_INQUIRY: 1}
    assert Complaint.objects.get(pk=case.pk).anonymised_at is None


def test_in_production_a_failing_workflow_part_fails_the_batch_and_changes_nothing(
    closed_case, pin_clock, monkeypatch, settings
):
    """The workflow's rows are cleared through a strict extension point (workflow.retention, issue 13):
    its failure is not logged and skipped in production, since the case would then be marked
    anonymised while its timeline, comments and decisions kept the customer's data."""
    import workflow.retention

    case = closed_case(THREE_YEARS_AND_A_DAY)
    before = snapshot(case)
    pin_clock(PINNED_TODAY)

    def broken(ids, *, removed):
        raise RuntimeError("workflow rows not cleared")

    monkeypatch.setattr(workflow.retention, "anonymise", broken)
    settings.PRODUCTION = True
    with pytest.raises(RuntimeError, match="workflow rows not cleared"):
        retention_run(apply=True)
    assert snapshot(Complaint.objects.get(pk=case.pk)) == before  # files included: still there
    assert AuditEvent.objects.get(action="retention_apply").detail["completed"] is False
