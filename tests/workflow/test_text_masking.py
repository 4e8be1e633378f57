"""Free text typed into the workflow (comments, decision text, every reason and comment of a
transition, extension, pause or verification) is masked by complaints/pii.py before it is
stored, put on the timeline, notified or e-mailed; ordinary text is kept as typed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from accounts.models import Notification
from workflow import services
from workflow.models import (
    Assignment,
    CaseComment,
    CaseTransition,
    Decision,
    ExtensionRequest,
    InvolvedStaff,
    Pause,
    VerificationRequest,
)

from .conftest import at, fresh, put

pytestmark = pytest.mark.django_db

CARD, MOBILE, ID = "6222021234567894", "13812345678", "110101199003071233"  # Luhn / GB 11643 valid
PII = f"客户卡号{CARD}，手机{MOBILE}，身份证{ID}"
MASKED = "客户卡号622202******7894，手机138****5678，身份证1****************3"
PLAIN = "客户要求退款 200 元，已致电说明"


# Every free-text column the workflow stores for a case.
COLUMNS = {
    "transition.reason": (CaseTransition, "reason"),
    "comment.body": (CaseComment, "body"),
    "decision.text": (Decision, "text"),
    "decision.review_comment": (Decision, "review_comment"),
    "assignment.reason": (Assignment, "reason"),
    "involved.note": (InvolvedStaff, "note"),
    "pause.note": (Pause, "note"),
    "extension.reason": (ExtensionRequest, "reason"),
    "extension.decision_comment": (ExtensionRequest, "decision_comment"),
    "verification.reason": (VerificationRequest, "reason"),
    "verification.comment": (VerificationRequest, "comment"),
    "notification.title": (Notification, "title"),
    "notification.body": (Notification, "body"),
}


def stored_texts(case) -> dict[str, list[str]]:
    def about(model):  # a notification names its case as a generic target
        if model is Notification:
            return Notification.objects.filter(target_type="complaints.complaint", target_id=case.pk)
        return model.objects.filter(complaint=case)

    return {where: list(about(model).values_list(field, flat=True)) for where, (model, field) in COLUMNS.items()}


def test_every_reason_comment_and_decision_text_on_the_path_is_masked(
    org_tree, staff, new_case, mailoutbox, django_capture_on_commit_callbacks
):
    s, t0 = staff, at(2026, 3, 2)
    for user in (s.bj_handler, s.bj_manager, s.ho_approver):
        user.email = f"{user.username}@bank.example"
        user.save(update_fields=["email"])
    c = new_case(org_tree.bj, received_at=t0)
    cid = c.pk

    def step(minutes: int):
        return t0 + timedelta(minutes=minutes)

    with django_capture_on_commit_callbacks(execute=True):
        services.case_route(complaint_id=cid, actor=s.ho_officer, reason=PII, now=step(10))
        services.case_accept(complaint_id=cid, actor=s.bj_manager, reason=PII, now=step(20))
        services.case_assign(complaint_id=cid, actor=s.bj_manager, handler_id=s.bj_handler.pk, reason=PII, now=step(30))
        services.involved_staff_add(complaint_id=cid, actor=s.bj_manager, user_id=s.bj_handler2.pk, note=PII)
        services.case_comment(complaint_id=cid, actor=s.bj_handler, body=PII, now=step(40))
        services.case_start_investigation(complaint_id=cid, actor=s.bj_handler, reason=PII, now=step(50))
        services.case_pause(
            complaint_id=cid,
            actor=s.bj_handler,
            reason="appraisal",
            note=PII,
            reference="JD-2026-1",
            expected_end=date(2026, 3, 20),
            now=step(60),
        )
        services.pause_decide(complaint_id=cid, actor=s.bj_manager, approve=True, comment=PII, now=step(65))
        services.case_resume(complaint_id=cid, actor=s.bj_handler, reason=PII, now=step(70))
        req = services.extension_request(complaint_id=cid, actor=s.bj_handler, reason=PII, now=step(80))
        services.extension_decide(request_id=req.pk, actor=s.bj_manager, approve=True, comment=PII, now=step(90))
        for version, approve in ((1, False), (2, True)):
            services.case_draft_decision(
                complaint_id=cid,
                actor=s.bj_handler,
                text=PII,
                proposed_result="partly_upheld",
                redress_amount="200",
                redress_type="fee_waiver",
                now=step(100 + version * 10),
            )
            services.case_submit_for_review(
                complaint_id=cid, actor=s.bj_handler, reason=PII, now=step(101 + version * 10)
            )
            services.case_review(
                complaint_id=cid, actor=s.ho_approver, approve=approve, comment=PII, now=step(102 + version * 10)
            )
        services.case_respond(complaint_id=cid, actor=s.bj_handler, reason=PII, informed_via="phone", now=step(200))
        services.case_close(
            complaint_id=cid,
            actor=s.bj_manager,
            result="partly_upheld",
            redress_amount="200",
            redress_type="fee_waiver",
            root_cause="C0103",
            reason=PII,
            now=step(210),
        )
        services.verification_request(
            complaint_id=cid, actor=s.ho_officer, requested_on=date(2026, 3, 5), reason=PII, now=at(2026, 3, 5, 11)
        )
        services.verification_decide(
            complaint_id=cid, actor=s.ho_approver, outcome="upheld", comment=PII, now=at(2026, 3, 6)
        )

    assert fresh(c).status == "closed"
    texts = stored_texts(c)
    for where, values in texts.items():
        for value in values:
            for raw in (CARD, MOBILE, ID):
                assert raw not in value, (where, value)
    # each typed text is there in its masked form, exactly as mask_text gives it (masked once)
    for where in (
        "comment.body",
        "decision.text",
        "assignment.reason",
        "involved.note",
        "pause.note",
        "extension.reason",
        "extension.decision_comment",
        "verification.reason",
        "verification.comment",
    ):
        assert set(texts[where]) == {MASKED}, where
    assert [d.review_comment for d in Decision.objects.filter(complaint=c).order_by("version")] == [MASKED, MASKED]
    typed = CaseTransition.objects.filter(complaint=c).exclude(action__in=["register"])
    assert typed.count() == 20 and set(typed.values_list("reason", flat=True)) == {MASKED}
    # notifications carrying typed text: extension asked/decided, decision returned/approved, verification
    bodies = Notification.objects.filter(
        target_type="complaints.complaint",
        target_id=c.pk,
        kind__in=[
            "extension_requested",
            "extension_decided",
            "decision_returned",
            "decision_approved",
            "verification_requested",
        ],
    ).values_list("kind", "body")
    assert {kind for kind, _ in bodies} == {
        "extension_requested",
        "extension_decided",
        "decision_returned",
        "decision_approved",
        "verification_requested",
    }
    assert {body for _, body in bodies} == {MASKED}
    # e-mails: the verification request goes to head-office approvers with the reason as body
    assert mailoutbox, "expected e-mails (assignment, verification request)"
    for mail in mailoutbox:
        for raw in (CARD, MOBILE, ID):
            assert raw not in mail.subject and raw not in mail.body
    verification_mail = [m for m in mailoutbox if s.ho_approver.email in m.to]
    assert verification_mail and MASKED in verification_mail[0].body


@pytest.mark.parametrize("exit_action", ["not_accept", "withdraw", "merge", "extension_rejected"])
def test_side_exits_mask_their_reason(org_tree, staff, new_case, exit_action):
    c = put(new_case(org_tree.bj, received_at=at(2026, 3, 2)), "investigating", assigned_to=staff.bj_handler)
    if exit_action == "not_accept":
        c = put(c, "routed")
        services.case_not_accept(complaint_id=c.pk, actor=staff.ho_officer, reason=PII)
    elif exit_action == "withdraw":
        services.case_withdraw(complaint_id=c.pk, actor=staff.bj_handler, reason=PII)
    elif exit_action == "merge":
        original = new_case(org_tree.bj, received_at=at(2026, 3, 1), customer=c.customer)
        services.case_merge(
            complaint_id=c.pk, actor=staff.ho_officer, into_reference=original.reference, reason=PII, now=at(2026, 3, 5)
        )
        merged_in = CaseTransition.objects.get(complaint=original, action="merged_in")
        assert merged_in.reason == MASKED
    else:
        req = services.extension_request(
            complaint_id=c.pk, actor=staff.bj_handler, reason="案情复杂", now=at(2026, 3, 9)
        )
        services.extension_decide(request_id=req.pk, actor=staff.bj_manager, approve=False, comment=PII)
        assert ExtensionRequest.objects.get(pk=req.pk).decision_comment == MASKED
        note = Notification.objects.get(target_type="complaints.complaint", target_id=c.pk, kind="extension_decided")
        assert MASKED in note.body and MOBILE not in note.body
    entry = CaseTransition.objects.filter(complaint=c).latest("at", "pk")
    assert entry.action == exit_action and entry.reason == MASKED


def test_ordinary_text_is_stored_as_typed(org_tree, staff, new_case):
    c = put(new_case(org_tree.bj, received_at=at(2026, 3, 2)), "investigating", assigned_to=staff.bj_handler)
    comment = services.case_comment(complaint_id=c.pk, actor=staff.bj_handler, body=PLAIN)
    text = f"{PLAIN}。参考 VOC-2026-0001234 处理，2026-03-05 14:30 回电，卡片尾号7890，共 3 笔"
    decision = services.case_draft_decision(
        complaint_id=c.pk,
        actor=staff.bj_handler,
        text=text,
        proposed_result="upheld",
        redress_amount="200",
        redress_type="refund",
    )
    assert CaseComment.objects.get(pk=comment.pk).body == PLAIN
    assert Decision.objects.get(pk=decision.pk).text == text
    assert CaseTransition.objects.get(complaint=c, action="draft_decision").reason == text
