"""The one permission table of the workflow: which role, at which organisation, may do what.

Every service checks here (``check``) and the case page lists what a user may
do from here (``allowed_actions``); no view repeats a rule.

Where an actor must sit, relative to the case's responsible organisation:
* ``HO``     — at head office;
* ``BRANCH`` — at a branch or sub-branch whose subtree holds the case
  (a branch manager acts on its sub-branches' cases; a sub-branch user only on
  its own);
* ``UPPER``  — at the upper level of the responsible organisation (its parent;
  head office for a branch's case): verification (核实) is decided there.

Decisions taken here (DOMAIN.md leaves them to us):
* a branch never approves its own decision: only head office approves or
  returns a decision;
* extension level 1 (15 → 30 days, "complex") is approved by a branch manager
  over the case, never the person who asked; level 2 (→ 60 days, "especially
  complex") needs "the upper-level institution or head-office senior
  management": we require a head-office approver for it, whichever level the
  case sits at (the stricter reading);
* a branch handler acts only on cases assigned to them (or not yet assigned,
  e.g. to accept one); a branch manager may do whatever a handler may;
* staff named as involved in, or the subject of, a complaint (回避) may not
  act on it at all, and cannot be assigned it; the verification (核实) is decided
  by someone who neither handled nor closed the case (rules in ``workflow.recusal``);
* verification is opened only on the customer's request, entered by head office
  or the intake agent; it is decided, or its withdrawal recorded, by the upper
  level (head-office approvers may always act as the level above);
* a pause for appraisal is requested by the handler and approved by the branch
  manager (head office when the manager asked: the page offers the decision only to
  that level); a branch manager's own level-1 extension is approved by head office;
  nobody decides their own request;
* read-only roles (auditors) never act, whatever else they hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from accounts import roles as R
from accounts.selectors import can_write, org_visible_to
from complaints.fsm import PAUSABLE
from complaints.states import FINAL_STATES, CaseState, state_label

from . import recusal
from .errors import ActionDenied, CaseNotFound

HO, BRANCH, UPPER = "ho", "branch", "upper"
HANDLER_WORK = ((R.BRANCH_MANAGER, BRANCH), (R.BRANCH_HANDLER, BRANCH))
HO_REVIEWERS = ((R.HO_OFFICER, HO), (R.HO_APPROVER, HO))
VERIFIERS = ((R.HO_APPROVER, UPPER), (R.BRANCH_MANAGER, UPPER), (R.HO_APPROVER, HO))
NOT_FINAL = frozenset(CaseState) - FINAL_STATES


@dataclass(frozen=True)
class Rule:
    label: object  # lazy string
    grants: tuple[tuple[str, str], ...]  # (role, where)
    needs_reason: bool = False
    # For actions that do not move the state (the FSM decides for the others).
    states: frozenset[str] | None = None


RULES: dict[str, Rule] = {
    # state transitions (names are the methods of complaints.fsm.CaseWorkflowMixin)
    "route": Rule(gettext_lazy("派发分行"), ((R.HO_OFFICER, HO),)),
    "not_accept": Rule(gettext_lazy("不予受理"), ((R.HO_OFFICER, HO), (R.BRANCH_MANAGER, BRANCH)), needs_reason=True),
    "accept": Rule(gettext_lazy("受理（首次响应）"), HANDLER_WORK),
    "start_investigation": Rule(gettext_lazy("开始调查"), HANDLER_WORK),
    # accept, then start_investigation, in one step (each still checked and logged on its own)
    "accept_and_investigate": Rule(gettext_lazy("受理并开始调查"), HANDLER_WORK, states=frozenset({CaseState.ROUTED})),
    "draft_decision": Rule(gettext_lazy("拟定处理意见"), HANDLER_WORK),
    "submit_for_review": Rule(gettext_lazy("提交总行审核"), HANDLER_WORK),
    "approve_decision": Rule(gettext_lazy("审核通过"), HO_REVIEWERS),
    "return_to_branch": Rule(gettext_lazy("退回分行重办"), HO_REVIEWERS, needs_reason=True),
    "respond": Rule(gettext_lazy("已答复客户"), HANDLER_WORK),
    "close": Rule(gettext_lazy("办结"), ((R.BRANCH_MANAGER, BRANCH), (R.HO_OFFICER, HO))),
    "request_pause": Rule(
        gettext_lazy("申请暂停计时（外部鉴定）"), HANDLER_WORK, needs_reason=True, states=frozenset(PAUSABLE)
    ),
    "decide_pause": Rule(
        gettext_lazy("审批暂停计时"),
        ((R.BRANCH_MANAGER, BRANCH), (R.HO_APPROVER, HO)),
        states=frozenset(PAUSABLE),
    ),
    "resume": Rule(gettext_lazy("恢复计时"), (*HANDLER_WORK, (R.HO_OFFICER, HO))),
    "request_verification": Rule(
        gettext_lazy("登记客户核实申请"), ((R.HO_OFFICER, HO), (R.AGENT, HO)), needs_reason=True
    ),
    "decide_verification": Rule(gettext_lazy("核实结论"), VERIFIERS),
    "withdraw_verification": Rule(gettext_lazy("登记客户撤回核实申请"), VERIFIERS, needs_reason=True),
    "withdraw": Rule(gettext_lazy("客户撤诉"), ((R.HO_OFFICER, HO), *HANDLER_WORK), needs_reason=True),
    "merge": Rule(gettext_lazy("合并至原投诉"), ((R.HO_OFFICER, HO), (R.BRANCH_MANAGER, BRANCH)), needs_reason=True),
    "unmerge": Rule(gettext_lazy("撤销合并"), HO_REVIEWERS, needs_reason=True),
    # actions that keep the state
    "assign": Rule(
        gettext_lazy("分派经办人"),
        ((R.BRANCH_MANAGER, BRANCH),),
        states=frozenset(NOT_FINAL - {CaseState.REGISTERED, CaseState.RESPONDED, CaseState.VERIFICATION}),
    ),
    "comment": Rule(gettext_lazy("内部备注（客户看不到）"), (*HO_REVIEWERS, *HANDLER_WORK), states=NOT_FINAL),
    "request_extension": Rule(
        gettext_lazy("申请延期"),
        HANDLER_WORK,
        needs_reason=True,
        states=frozenset(
            {
                CaseState.ACCEPTED,
                CaseState.INVESTIGATING,
                CaseState.DECISION_DRAFTED,
                CaseState.HO_REVIEW,
                CaseState.APPROVED,
            }
        ),
    ),
    "decide_extension_1": Rule(
        gettext_lazy("审批延期（至30天）"), ((R.BRANCH_MANAGER, BRANCH), (R.HO_APPROVER, HO)), states=NOT_FINAL
    ),
    "decide_extension_2": Rule(gettext_lazy("审批延期（至60天）"), ((R.HO_APPROVER, HO),), states=NOT_FINAL),
    "approve_verification_change": Rule(
        gettext_lazy("审批核实变更的处理意见"), ((R.HO_APPROVER, HO),), states=frozenset({CaseState.VERIFICATION})
    ),
    "record_informed": Rule(
        gettext_lazy("登记客户收到处理决定"),
        (*HANDLER_WORK, (R.HO_OFFICER, HO)),
        states=frozenset({CaseState.RESPONDED, CaseState.CLOSED}),
    ),
    "add_involved": Rule(
        gettext_lazy("登记回避人员"), ((R.HO_OFFICER, HO), (R.BRANCH_MANAGER, BRANCH)), states=NOT_FINAL
    ),
}
STATE_ACTIONS = frozenset(k for k, r in RULES.items() if r.states is None)


def upper_org_id(org) -> int:
    """The upper-level institution of ``org``: its parent (head office is its own upper level)."""
    return org.parent_id or org.id


def _where_ok(user, complaint, where: str) -> bool:
    if where == HO:
        return user.at_head_office
    if where == BRANCH:
        return not user.at_head_office and org_visible_to(user, complaint.responsible_org)
    if where == UPPER:
        return user.org_id is not None and user.org_id == upper_org_id(complaint.responsible_org)
    raise ValueError(where)


def _state_ok(complaint, action: str) -> bool:
    rule = RULES[action]
    if rule.states is not None:
        return complaint.status in rule.states
    return can_proceed(getattr(complaint, action))


RECUSAL_MESSAGES = {
    recusal.INVOLVED: gettext_lazy("您是本投诉的涉及人员或被投诉人，须回避，不能办理"),
    recusal.HANDLED: gettext_lazy("您曾经办或办结本投诉，核实须由未参与办理的人员作出"),
    recusal.AUTHORED: gettext_lazy("不能审批自己拟定的处理意见"),
}
OWN_REQUEST_MESSAGES = {
    "decide_extension_1": gettext_lazy("不能审批自己提出的延期申请"),
    "decide_extension_2": gettext_lazy("不能审批自己提出的延期申请"),
    "decide_pause": gettext_lazy("不能审批自己提出的暂停申请"),
}


def _refusal(user, complaint, action: str, parties: recusal.CaseParties | None) -> tuple[str | None, str | None]:
    """(message, recusal rule or None) for ``user`` doing ``action``; (None, None) if allowed."""
    rule = RULES.get(action)
    if rule is None:
        return _("未知操作"), None
    if not can_write(user):
        return _("只读角色不能办理投诉"), None
    if not _state_ok(complaint, action):
        if complaint.status in FINAL_STATES:
            return _("投诉已「%(state)s」，不能再办理") % {"state": state_label(complaint.status)}, None
        return _("当前状态「%(state)s」不能执行「%(action)s」") % {
            "state": state_label(complaint.status),
            "action": rule.label,
        }, None
    granted = [role for role, where in rule.grants if user.has_role(role) and _where_ok(user, complaint, where)]
    if not granted:
        return _("您的角色或所在机构无权执行「%(action)s」") % {"action": rule.label}, None
    if parties is None:
        parties = case_parties(complaint, action=action)
    conflict = recusal.refusal(user.pk, action, parties)
    if conflict == recusal.REQUESTED:
        return str(OWN_REQUEST_MESSAGES[action]), conflict
    if conflict:
        return str(RECUSAL_MESSAGES[conflict]), conflict
    if action in recusal.PAUSE_DECISIONS and parties.pause_requester is not None:
        # The handler's pause is the branch manager's to decide; the manager's own, head office's.
        if parties.pause_by_manager and R.HO_APPROVER not in granted:
            return _("分行投诉主管提出的暂停申请须由总行审批"), None
        if not parties.pause_by_manager and R.BRANCH_MANAGER not in granted:
            return _("暂停申请由分行投诉主管审批"), None
    if granted == [R.BRANCH_HANDLER] and complaint.assigned_to_id not in (None, user.pk):
        return _("本投诉已分派给其他经办人"), None
    return None, None


def denial(user, complaint, action: str, *, parties: recusal.CaseParties | None = None) -> str | None:
    """Why ``user`` may not do ``action`` on ``complaint`` now, or ``None`` if they may.

    Order of reasons: read-only role, state, role/organisation, 回避/independence, assignee.
    (Scope — the case is not visible at all — is ``check``'s 404, not a reason.)
    """
    return _refusal(user, complaint, action, parties)[0]


def case_parties(complaint, *, action: str | None = None) -> recusal.CaseParties:
    """Who is involved in, handled, closed, drafted the pending decision of, or asked for the
    pending extension or pause of the case.

    One query for 回避; the history and pending requests are read only for the actions that need them.
    On the case page they are all answered from what the page has read once (``_parties_read``).
    """
    from .models import Assignment, CaseTransition, Decision, InvolvedStaff

    read = _parties_read(complaint)
    if read is not None:
        return read

    involved = frozenset(InvolvedStaff.objects.filter(complaint=complaint).values_list("user_id", flat=True))
    if action in recusal.REQUESTER_EXCLUDED_ACTIONS:
        return recusal.CaseParties(involved=involved, **_requesters(complaint, action))
    if action is not None and action not in recusal.INDEPENDENT_ACTIONS | recusal.AUTHOR_EXCLUDED_ACTIONS:
        return recusal.CaseParties(involved=involved)
    decisions = Decision.objects.filter(complaint=complaint).order_by("-version")
    steps = CaseTransition.objects.filter(
        complaint=complaint, action__in=sorted(recusal.HANDLING_ACTIONS | recusal.CLOSING_ACTIONS)
    )
    return _parties_from(
        involved=involved,
        assignees=Assignment.objects.filter(complaint=complaint).values_list("assigned_to_id", flat=True),
        assigned_to_id=complaint.assigned_to_id,
        decisions=[
            (author, in_verification is not None, review == "")
            for author, in_verification, review in decisions.values_list("author_id", "from_verification_id", "review")
        ],
        steps=steps.values_list("action", "actor_id"),
        **_requesters(complaint, None),
    )


def _parties_from(*, involved, assignees, assigned_to_id, decisions, steps, **requesters) -> recusal.CaseParties:
    """``CaseParties`` from a case's rows, however they were read (queried, or read once by the
    case page). ``decisions``: (author id, drafted in a verification, awaiting review), newest
    first; ``steps``: (action, actor id) of the log."""
    # A decision drafted in a verification (its changed outcome) is the verifier's own work, not
    # handling of the level being verified: its author may conclude the verification again when
    # head office returns it (and still never approves it: AUTHORED).
    handlers = set(assignees) | {author for author, in_verification, _ in decisions if not in_verification}
    if assigned_to_id:
        handlers.add(assigned_to_id)
    closers = set()
    for action, actor_id in steps:
        if actor_id is not None and action in recusal.CLOSING_ACTIONS:
            closers.add(actor_id)
        elif actor_id is not None and action in recusal.HANDLING_ACTIONS:
            handlers.add(actor_id)
    pending = next((author for author, _, awaiting in decisions if awaiting), None)
    return recusal.CaseParties(
        involved=involved,
        handlers=frozenset(handlers),
        closers=frozenset(closers),
        pending_decision_author=pending,
        **requesters,
    )


def _parties_read(complaint) -> recusal.CaseParties | None:
    """The whole ``CaseParties`` from the rows the case page read once for this request
    (``workflow.case_records`` and the decisions of ``selectors.case_page_prefetch``), or None
    when they were not read. The whole history answers every action's rule (``recusal.refusal``
    looks only at what the action needs), as in ``allowed_actions``."""
    from .case_records import cached_records

    records, decisions = cached_records(complaint), getattr(complaint, "wf_decisions", None)
    if records is None or decisions is None:
        return None
    extension = records.pending_extension
    return _parties_from(
        involved=records.involved,
        assignees=records.assignees,
        assigned_to_id=complaint.assigned_to_id,
        decisions=[
            (d.author_id, d.from_verification_id is not None, d.review == "") for d in decisions
        ],  # newest first
        steps=[(t.action, t.actor_id) for t in records.transitions],
        extension_requester=extension.requested_by_id if extension else None,
        pause_requester=records.pending_pause_requester,
        pause_by_manager=records.pending_pause_by_manager,
    )


def _requesters(complaint, action: str | None) -> dict[str, int | None]:
    """Who asked for the case's pending extension and pause (only the one ``action`` decides, if given)."""
    from accounts.models import RoleGrant

    from .models import ExtensionRequest, PauseRequest

    found = {}
    if action is None or action in recusal.EXTENSION_DECISIONS:
        pending = ExtensionRequest.objects.filter(complaint=complaint, status=ExtensionRequest.Status.PENDING)
        found["extension_requester"] = pending.values_list("requested_by_id", flat=True).first()
    if action is None or action in recusal.PAUSE_DECISIONS:
        pending = PauseRequest.objects.filter(complaint=complaint, status=PauseRequest.Status.PENDING)
        found["pause_requester"] = requester = pending.values_list("requested_by_id", flat=True).first()
        found["pause_by_manager"] = (
            requester is not None and RoleGrant.objects.filter(user_id=requester, role=R.BRANCH_MANAGER).exists()
        )
    return found


def ensure_visible(user, complaint) -> None:
    """Outside the user's scope the case does not exist for them (404, not 403)."""
    if not org_visible_to(user, complaint.responsible_org):
        raise CaseNotFound(_("投诉不存在"))


def check(user, complaint, action: str) -> None:
    """Raise ``CaseNotFound`` (out of scope) or ``ActionDenied`` (with the reason)."""
    ensure_visible(user, complaint)
    reason, conflict = _refusal(user, complaint, action, None)
    if reason:
        # Every refused attempt on a visible case is kept on its log (services.refusals).
        audit = {"complaint_id": complaint.pk, "state": complaint.status, "action": action, "actor_id": user.pk}
        audit["rule"] = conflict or "not_permitted"
        raise ActionDenied(reason, audit=audit)


def allowed_actions(user, complaint, *, actions: Iterable[str] | None = None) -> list[str]:
    """The actions ``user`` may take on ``complaint`` now, in table order."""
    if not can_write(user) or not org_visible_to(user, complaint.responsible_org):
        return []
    parties = case_parties(complaint)  # the whole history: a few queries per page, not per action
    return [a for a in (actions or RULES) if denial(user, complaint, a, parties=parties) is None]


def label(action: str) -> str:
    return str(RULES[action].label)
