"""Demo: each audit control of issue 17 used once, through the real services.

The bulk demo (``workflow.demo``) writes histories directly for speed; the controls an
auditor looks for are shown here on seven cases driven through the services, so their
records are exactly what the pages write:

* a verification (核实): the decision told by phone and received on a recorded date, the
  customer's letter asking for verification, decided by the upper level (the branch
  manager over a sub-branch case, who neither handled nor closed it);
* a pause for a judicial appraisal: its type, commission number, expected end, approved by
  the branch manager (still running);
* a branch manager's own extension, approved by head office;
* a repeat complaint merged into the same customer's open original, with the reason;
* 回避: the handler named at intake as involved; the manager's attempt to assign the case
  to them is refused and stays on the case's log;
* a complaint received by letter days before it was logged, with the reason for the late entry.

The cases are taken from demo complaints not yet registered (moved to Beijing and to
recent dates, relative to ``now``); runs once (a marker: the pause's commission number).
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import Organisation, User
from complaints.models import Complaint

from . import services
from .errors import WorkflowError
from .hooks import case_registered
from .models import CaseTransition, PauseRequest

MARKER = "JD-DEMO-0458"  # the demo pause's commission number
NEEDED = 7
USERS = ("agent", "ho_officer", "ho_approver", "bj_manager", "bj_handler", "bj_cy_handler")


def seed(now: datetime, candidates: list[int], stdout=None) -> list[int]:
    """Drive cases from ``candidates`` (registered, no history) through the controls; returns their ids.

    Not one transaction: each step is a top-level service (durable, like a user's action) and
    commits on its own, so a refusal stays on the case's log as it does on the page."""
    if PauseRequest.objects.filter(reference=MARKER).exists():
        return []
    users = {u.username: u for u in User.objects.filter(username__in=USERS, is_active=True)}
    orgs = {o.code: o for o in Organisation.objects.filter(code__in=("BJ", "BJ-CY"))}
    registered = CaseTransition.objects.filter(complaint_id=OuterRef("pk"), action="register")
    free = list(
        Complaint.objects.filter(id__in=candidates, customer__isnull=False)
        .filter(~Exists(registered))
        .order_by("-id")
        .values_list("id", flat=True)[:NEEDED]
    )
    if len(users) < len(USERS) or len(orgs) < 2 or len(free) < NEEDED:
        return []  # not the full demo (e.g. a test's own cases): the bulk demo moves them all
    show = _Showcase(timezone.localtime(now), users, orgs, iter(free))
    show.verification()
    show.pause()
    show.extension()
    show.merge()
    show.recusal()
    show.late_entry()
    if stdout:
        stdout.write(
            f"workflow demo: {len(show.ids)} cases show the audit controls (核实, 暂停, 延期, 合并, 回避, 补录)"
        )
    return show.ids


class _Showcase:
    def __init__(self, now: datetime, users: dict[str, User], orgs: dict[str, Organisation], free) -> None:
        self.now, self.u, self.orgs, self.free = now, users, orgs, free
        self.ids: list[int] = []

    def at(self, days: float, hour: int = 10, minute: int = 0) -> datetime:
        """``days`` before now at ``hour:minute`` local time (never later than now)."""
        moment = (self.now - timedelta(days=days)).replace(hour=hour, minute=minute, second=0, microsecond=0)
        return min(moment, self.now - timedelta(minutes=1))

    def case(self, org: str, received: datetime, *, logged: datetime | None = None, **fields) -> Complaint:
        """A free demo complaint moved to ``org`` and ``received``, registered as intake would."""
        pk = next(self.free)
        created = logged or received + timedelta(minutes=3)
        Complaint.objects.filter(pk=pk).update(
            responsible_org=self.orgs[org], received_at=received, created_at=created, created_by=self.u["agent"],
            assigned_to=None, **fields,
        )  # fmt: skip
        c = Complaint.objects.get(pk=pk)
        self.ids.append(pk)
        return c

    def register(self, c: Complaint, **kwargs) -> None:
        case_registered(c, actor=self.u["agent"], **kwargs)

    def route(self, c: Complaint, when: datetime) -> None:
        services.case_route(complaint_id=c.pk, actor=self.u["ho_officer"], now=when)

    def verification(self) -> None:
        """Told by phone, received that day; the customer's letter; the branch manager (upper level) decides."""
        h, ho, approver, manager = self.u["bj_cy_handler"], self.u["ho_officer"], self.u["ho_approver"], self.u["bj_manager"]  # fmt: skip
        c = self.case("BJ-CY", self.at(28))
        self.register(c)
        self.route(c, self.at(28, 10, 20))
        services.case_accept(complaint_id=c.pk, actor=h, now=self.at(28, 11))
        services.case_start_investigation(complaint_id=c.pk, actor=h, now=self.at(27))
        services.case_draft_decision(
            complaint_id=c.pk, actor=h, text="经调阅交易记录，年费收取符合合同约定，已向客户解释。",
            proposed_result="not_upheld", redress_amount="0", redress_type="none", root_cause="C0201",
            now=self.at(22),
        )  # fmt: skip
        services.case_submit_for_review(complaint_id=c.pk, actor=h, now=self.at(22, 11))
        services.case_review(complaint_id=c.pk, actor=approver, approve=True, now=self.at(21))
        services.case_respond(
            complaint_id=c.pk, actor=h, informed_via="phone", informed_on=self.at(20).date(), now=self.at(20, 15)
        )
        services.case_close(
            complaint_id=c.pk, actor=ho, result="not_upheld", redress_amount="0", redress_type="none",
            root_cause="C0201", now=self.at(19),
        )  # fmt: skip
        services.verification_request(
            complaint_id=c.pk, actor=ho, requested_on=self.at(11).date(), requested_via="letter",
            reason="客户来信不认可处理结果，申请上级机构核实", now=self.at(10),
        )  # fmt: skip
        services.verification_decide(
            complaint_id=c.pk, actor=manager, outcome="upheld",
            comment="经分行复核交易记录与合同条款，维持原处理意见，已电话告知客户", now=self.at(3),
        )  # fmt: skip

    def pause(self) -> None:
        """A judicial appraisal of a signature: type, commission number, expected end, the manager's approval."""
        h, manager = self.u["bj_handler"], self.u["bj_manager"]
        c = self.case("BJ", self.at(9))
        self.register(c)
        self.route(c, self.at(9, 10, 20))
        services.case_accept(complaint_id=c.pk, actor=h, now=self.at(9, 11))
        services.case_start_investigation(complaint_id=c.pk, actor=h, now=self.at(8))
        services.case_pause(
            complaint_id=c.pk, actor=h, reason="appraisal", note="委托司法鉴定机构鉴定取款凭条签名笔迹",
            reference=MARKER, expected_end=(self.now + timedelta(days=20)).date(), now=self.at(6),
        )  # fmt: skip
        services.pause_decide(
            complaint_id=c.pk, actor=manager, approve=True, comment="已核对鉴定委托书，同意暂停计时", now=self.at(5)
        )

    def extension(self) -> None:
        """The branch manager handles the case himself; his extension is approved by head office."""
        manager = self.u["bj_manager"]
        c = self.case("BJ", self.at(12))
        self.register(c)
        self.route(c, self.at(12, 10, 20))
        services.case_accept(complaint_id=c.pk, actor=manager, now=self.at(12, 11))
        services.case_start_investigation(complaint_id=c.pk, actor=manager, now=self.at(11))
        services.extension_request(
            complaint_id=c.pk, actor=manager, reason="涉及第三方支付机构，需调取对方交易记录", now=self.at(6)
        )
        req = c.extension_requests.get()
        services.extension_decide(
            request_id=req.pk, actor=self.u["ho_approver"], approve=True, comment="同意延期至30日", now=self.at(5)
        )

    def merge(self) -> None:
        """The same customer calls again about the same fee: merged into the open original, with the reason."""
        h = self.u["bj_handler"]
        original = self.case("BJ", self.at(7))
        self.register(original)
        self.route(original, self.at(7, 10, 20))
        services.case_accept(complaint_id=original.pk, actor=h, now=self.at(7, 11))
        services.case_start_investigation(complaint_id=original.pk, actor=h, now=self.at(6))
        repeat = self.case(
            "BJ", self.at(3), customer_id=original.customer_id, code_b_id=original.code_b_id, repeat_of=original,
            is_repeat=True,
        )  # fmt: skip
        self.register(repeat)
        self.route(repeat, self.at(3, 10, 20))
        services.case_merge(
            complaint_id=repeat.pk, actor=self.u["bj_manager"], into_reference=original.reference,
            reason="同一客户就同一笔费用再次来电，诉求相同，并入原投诉一并处理", now=self.at(3, 14),
        )  # fmt: skip

    def recusal(self) -> None:
        """The handler is named at intake as involved (回避); assigning them the case is refused and logged."""
        manager, h = self.u["bj_manager"], self.u["bj_handler"]
        c = self.case("BJ", self.now - timedelta(hours=3))
        self.register(c, involved_staff=[h])
        self.route(c, self.now - timedelta(hours=2, minutes=40))
        services.case_accept(complaint_id=c.pk, actor=manager, now=self.now - timedelta(hours=2))
        # Refused for 回避: the attempt stays on the case's log (workflow.services.refusals).
        with contextlib.suppress(WorkflowError):
            services.case_assign(complaint_id=c.pk, actor=manager, handler_id=h.pk, now=self.now - timedelta(hours=1))

    def late_entry(self) -> None:
        """A letter received four days ago, logged only now: the delay and the reason are on the log."""
        received = self.at(4, 16)
        c = self.case("BJ", received, logged=self.now - timedelta(hours=1), channel="letter")
        self.register(c, late_reason="客户信函寄达网点后未及时转交，今日补录")
        self.route(c, self.now - timedelta(minutes=40))
