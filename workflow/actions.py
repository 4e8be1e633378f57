"""The case actions as the UI offers them: form, service call and look, per permission-table action.

Views and panels use this registry, so adding an action is one entry here plus
one in ``permissions.RULES``; no view knows the rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.models import User

from . import forms, permissions, selectors, services
from .errors import InvalidInput


@dataclass(frozen=True)
class ActionSpec:
    name: str
    form: type[forms.ActionForm]
    call: Callable[..., Any]  # (cleaned_data, complaint_id, actor, version) -> service result
    style: str = ""  # "primary" | "danger" | ""
    button: Any = None  # defaults to the permission table's label
    open: bool = False  # show the form expanded

    @property
    def label(self):
        return self.button or permissions.RULES[self.name].label


def _reason(fn, **fixed):
    return lambda d, cid, user, v: fn(
        complaint_id=cid, actor=user, reason=d.get("reason", ""), expected_version=v, **fixed
    )


def _review(approve: bool):
    return lambda d, cid, user, v: services.case_review(
        complaint_id=cid, actor=user, approve=approve, comment=d.get("comment", ""), expected_version=v
    )


def _decide(fn):
    """A manager's or approver's yes/no on a pending request (``forms.DecideForm``)."""
    return lambda d, cid, user, v: fn(
        complaint_id=cid, actor=user, approve=d["decision"] == "approve", comment=d.get("comment", "")
    )


def _assign(d, cid, user, v):
    return services.case_assign(
        complaint_id=cid, actor=user, handler_id=d["handler"], reason=d.get("reason", ""), expected_version=v
    )


def _involved(d, cid, user, v):
    target = User.objects.people().filter(username=d["username"].strip()).first()
    if target is None:
        raise InvalidInput(_("找不到该员工"))
    return services.involved_staff_add(complaint_id=cid, actor=user, user_id=target.pk, kind=d["kind"], note=d["note"])


SPECS: dict[str, ActionSpec] = {
    s.name: s
    for s in [
        ActionSpec(
            "route",
            forms.RouteForm,
            lambda d, cid, user, v: services.case_route(
                complaint_id=cid, actor=user, org=d.get("org"), reason=d.get("reason", ""), expected_version=v
            ),
            style="primary",
            open=True,
        ),
        ActionSpec(
            "accept_and_investigate",
            forms.ReasonForm,
            _reason(services.case_accept_and_investigate),
            style="primary",
            open=True,
        ),
        ActionSpec("accept", forms.ReasonForm, _reason(services.case_accept)),
        ActionSpec("assign", forms.AssignForm, _assign),
        ActionSpec(
            "start_investigation", forms.ReasonForm, _reason(services.case_start_investigation), style="primary"
        ),
        ActionSpec(
            "draft_decision",
            forms.DecisionForm,
            lambda d, cid, user, v: services.case_draft_decision(
                complaint_id=cid,
                actor=user,
                text=d["text"],
                proposed_result=d["proposed_result"],
                redress_amount=d.get("redress_amount"),
                redress_type=d["redress_type"],
                root_cause=d.get("root_cause", ""),
                expected_version=v,
            ),
            style="primary",
            open=True,
        ),
        ActionSpec("submit_for_review", forms.ReasonForm, _reason(services.case_submit_for_review), style="primary"),
        ActionSpec("approve_decision", forms.ReviewForm, _review(True), style="primary", open=True),
        ActionSpec("return_to_branch", forms.ReviewForm, _review(False), style="danger", open=True),
        ActionSpec(
            "respond",
            forms.RespondForm,
            lambda d, cid, user, v: services.case_respond(
                complaint_id=cid,
                actor=user,
                reason=d.get("reason", ""),
                informed_via=d["informed_via"],
                informed_on=d.get("informed_on"),
                expected_version=v,
            ),
            style="primary",
            open=True,
        ),
        ActionSpec(
            "record_informed",
            forms.InformedForm,
            lambda d, cid, user, v: services.decision_informed_record(
                complaint_id=cid,
                actor=user,
                informed_via=d["informed_via"],
                informed_on=d["informed_on"],
                expected_version=v,
            ),
        ),
        ActionSpec(
            "close",
            forms.CloseForm,
            lambda d, cid, user, v: services.case_close(
                complaint_id=cid,
                actor=user,
                result=d["result"],
                redress_amount=d.get("redress_amount"),
                redress_type=d["redress_type"],
                root_cause=d["root_cause"],
                reason=d.get("reason", ""),
                expected_version=v,
            ),
            style="primary",
            open=True,
        ),
        ActionSpec(
            "request_pause",
            forms.PauseForm,
            lambda d, cid, user, v: services.case_pause(
                complaint_id=cid,
                actor=user,
                reason=d["pause_reason"],
                note=d["note"],
                reference=d.get("reference", ""),
                evidence=d.get("evidence"),
                expected_end=d["expected_end"],
                expected_version=v,
            ),
        ),
        ActionSpec("decide_pause", forms.DecideForm, _decide(services.pause_decide), open=True),
        ActionSpec("resume", forms.ReasonForm, _reason(services.case_resume), style="primary", open=True),
        ActionSpec(
            "request_extension",
            forms.ExtensionRequestForm,
            lambda d, cid, user, v: services.extension_request(
                complaint_id=cid,
                actor=user,
                reason=d["reason"],
                customer_informed=d.get("customer_informed", False),
                expected_version=v,
            ),
        ),
        ActionSpec(
            "decide_extension",
            forms.ExtensionDecideForm,
            lambda d, cid, user, v: services.extension_decide(
                request_id=d["request_id"],
                complaint_id=cid,  # the page's form names the request: it must be this case's
                actor=user,
                approve=d["decision"] == "approve",
                comment=d.get("comment", ""),
            ),
            button=_("审批延期申请"),
            open=True,
        ),
        ActionSpec(
            "request_verification",
            forms.VerificationRequestForm,
            lambda d, cid, user, v: services.verification_request(
                complaint_id=cid,
                actor=user,
                requested_on=d["requested_on"],
                requested_via=d["requested_via"],
                reason=d["reason"],
                expected_version=v,
            ),
        ),
        ActionSpec(
            "decide_verification",
            forms.VerificationDecideForm,
            lambda d, cid, user, v: services.verification_decide(
                complaint_id=cid,
                actor=user,
                outcome=d["outcome"],
                comment=d["comment"],
                text=d.get("text", ""),
                result=d.get("result", ""),
                redress_amount=d.get("redress_amount"),
                redress_type=d.get("redress_type", ""),
                root_cause=d.get("root_cause", ""),
                expected_version=v,
            ),
            style="primary",
            open=True,
        ),
        ActionSpec(
            "approve_verification_change", forms.DecideForm, _decide(services.verification_change_review), open=True
        ),
        ActionSpec("withdraw_verification", forms.ReasonForm, _reason(services.verification_withdraw), style="danger"),
        ActionSpec(
            "merge",
            forms.MergeForm,
            lambda d, cid, user, v: services.case_merge(
                complaint_id=cid,
                actor=user,
                into_reference=d["into_reference"],
                reason=d.get("reason", ""),
                override_customer=d.get("override_customer", False),
                expected_version=v,
            ),
        ),
        ActionSpec("unmerge", forms.ReasonForm, _reason(services.case_unmerge), style="danger"),
        ActionSpec("not_accept", forms.ReasonForm, _reason(services.case_not_accept), style="danger"),
        ActionSpec("withdraw", forms.ReasonForm, _reason(services.case_withdraw), style="danger"),
        ActionSpec("add_involved", forms.InvolvedForm, _involved),
        ActionSpec(
            "comment",
            forms.CommentForm,
            lambda d, cid, user, v: services.case_comment(complaint_id=cid, actor=user, body=d["body"]),
            open=True,
        ),
    ]
}


def permission_action(name: str, complaint) -> str | None:
    """The permission-table action behind a UI action (extension decisions depend on the level)."""
    if name == "decide_extension":
        pending = selectors.pending_extension(complaint)
        return f"decide_extension_{pending.level}" if pending else None
    if name == "decide_pause" and not selectors.has_pending_pause(complaint):
        return None
    if name == "approve_verification_change" and not selectors.has_pending_verification_change(complaint):
        return None
    return name if name in permissions.RULES else None


def form_kwargs(name: str, user) -> dict[str, Any]:
    if name == "assign":
        return {"handlers": handler_choices(user)}
    return {}


def handler_workload(user):
    """Who the manager may assign to, each with how many open cases they hold now (their
    workload, issue 14): "name · org · 在办 N 件". Same one query (a correlated count per
    handler down the partial index of open assigned cases, ``wf_cmp_assignee_open``). It counts
    rows, not ids: COUNT(id) read every open case's row from the table (90-100 ms for 北京分行's
    33 handlers on the 1 M database), COUNT(*) is answered from the index alone (issue 14,
    bench/results/daily-use-2026-12-08-a.md)."""
    from django.db.models import Count, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from complaints.models import Complaint
    from complaints.states import FINAL_STATES

    held = (
        Complaint.objects.filter(assigned_to=OuterRef("pk"))
        .exclude(status__in=sorted(FINAL_STATES))
        .order_by()
        .values("assigned_to")
        .annotate(n=Count("*"))
        .values("n")
    )
    return selectors.handlers_for_assignment(user).annotate(open_cases=Coalesce(Subquery(held), 0))


def handler_choices(user) -> list[tuple[int, str]]:
    """Who the manager may assign to, each with their workload (``handler_workload``)."""
    from django.utils.translation import gettext

    label = gettext("%(name)s · %(org)s · 在办 %(n)s 件")
    rows = handler_workload(user)
    return [(u.pk, label % {"name": u, "org": u.org.name_zh if u.org else "", "n": u.open_cases}) for u in rows]


def _decision_initial(d) -> dict[str, Any]:
    return {
        "redress_type": d.redress_type,
        "redress_amount": d.redress_amount,
        "root_cause": d.root_cause_code.code if d.root_cause_code_id else "",
    }


def initial_for(name: str, complaint) -> dict[str, Any]:
    """Prefill: closing starts from the approved decision; a redraft from the last draft (after a
    return the handler edits what head office read, not a blank form); routing from intake's
    organisation."""
    if name == "draft_decision":
        d = selectors.latest_decision(complaint)
        if d is not None and d.from_verification_id is None:
            return {"text": d.text, "proposed_result": d.proposed_result, **_decision_initial(d)}
    if name == "close":
        d = selectors.latest_decision(complaint)
        if d is not None:
            return {"result": d.proposed_result, **_decision_initial(d)}
    if name == "route":
        return {"org": complaint.responsible_org_id}
    if name == "decide_extension":
        pending = selectors.pending_extension(complaint)
        return {"request_id": pending.pk if pending else None}
    return {}


def note_for(name: str, complaint) -> Any:
    """What the form of ``name`` shows above its fields: a returned draft's review comment
    (who returned it, when, and why), so the redraft answers it."""
    if name == "draft_decision":
        d = selectors.latest_decision(complaint)
        if d is not None and d.review == d.Review.RETURNED and d.review_comment:
            return d
    return None


# After a draft, the next step is to submit it: that form comes first, open and primary, and
# the draft form (still there for a correction) folds away under a plainer label.
NEXT_STEP = {"decision_drafted": "submit_for_review"}
REDRAFT_LABEL = _("修改处理意见")


def presentation(name: str, spec: ActionSpec, complaint) -> tuple[Any, str, bool]:
    """(label, style, open) of ``name`` on the case page in the case's state."""
    if complaint.status in NEXT_STEP:
        if name == NEXT_STEP[complaint.status]:
            return spec.label, "primary", True
        if name == "draft_decision":
            return REDRAFT_LABEL, "", False
    return spec.label, spec.style, spec.open


def order_key(name: str, complaint) -> int:
    """The state's next step first; the others in the registry's order (a stable sort)."""
    return 0 if NEXT_STEP.get(complaint.status) == name else 1
