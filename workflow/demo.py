"""Demo histories: move the demo complaints through realistic workflows, in bulk.

Each case gets a plan drawn from a generator seeded by its id (so re-runs agree),
with times relative to its receipt: routed ~20 minutes after the call, first
branch response within about an hour, investigation, a decision drafted, head
office review (about one in seven returned once), response and closure with a
result, redress and root cause. About 15% are extended (a few twice), 8% paused
for appraisal, 3% of closed ones come back for verification (核实), some are
withdrawn, not accepted, or merged into their original; a few older cases stall
and are overdue. Events later than "now" are cut off, so recent cases sit at
realistic open states.

Bypasses the services on purpose (bulk inserts, 20k cases in well under a
minute on SQLite); the result is what the services would have written.
Idempotent: only cases still "registered" with no workflow history are touched.
A few cases first go through the real services to show each audit control once
(``workflow.demo_controls``).
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import Organisation, User
from complaints.models import ClassificationCode, Complaint
from complaints.states import CaseState as S

from . import clocks
from .models import Assignment, CaseTransition, Decision, ExtensionRequest, Pause, VerificationRequest
from .work_calendar import work_calendar

UPDATE_FIELDS = [
    "status", "assigned_to", "due_date", "extension_level", "paused_since", "paused_days", "first_response_at",
    "decided_at", "responded_at", "closed_at", "result", "redress_amount", "redress_type", "root_cause_code",
    "merged_into",
]  # fmt: skip
REDRESS = [("none", 0), ("refund", 1), ("fee_waiver", 1), ("compensation", 1), ("apology", 0), ("points", 0)]
DECISION_TEXT = {
    "upheld": "经核实，客户反映情况属实，已按规定退还相关费用并致歉。",
    "partly_upheld": "经核实，客户部分诉求合理，已减免部分费用，其余按合同约定执行。",
    "not_upheld": "经调阅录音及交易记录，业务办理符合规定，已向客户耐心解释。",
}


class _Staff:
    def __init__(self) -> None:
        users = {u.username: u for u in User.objects.people().filter(is_active=True).select_related("org")}
        self.ho_officer = users.get("ho_officer")
        self.ho_approver = users.get("ho_approver")
        self.users = users
        self.orgs = {o.pk: o for o in Organisation.objects.all()}

    def branch_of(self, org: Organisation) -> Organisation:
        return self.orgs[org.parent_id] if org.kind == Organisation.Kind.SUB_BRANCH else org

    def manager(self, org: Organisation) -> User | None:
        return self.users.get(f"{self.branch_of(org).code.lower()}_manager")

    def handler(self, org: Organisation) -> User | None:
        return self.users.get(f"{org.code.lower().replace('-', '_')}_handler") or self.users.get(
            f"{self.branch_of(org).code.lower()}_handler"
        )


class _Plan:
    """One case's history, built forward in time and cut at ``now``."""

    def __init__(self, c: Complaint, now: datetime, staff: _Staff, root_causes: list[ClassificationCode]) -> None:
        self.c, self.now, self.staff = c, now, staff
        self.rng = random.Random(c.pk * 7919)
        self.root_causes = root_causes
        self.state = S.REGISTERED
        self.t = c.received_at
        self.stopped = False
        self.fields: dict = {"assigned_to_id": c.assigned_to_id, "extension_level": 0, "paused_days": 0}
        self.transitions: list[CaseTransition] = []
        self.rows: dict[str, list] = {"assign": [], "decision": [], "extension": [], "pause": [], "verify": []}

    def step(self, minutes: float, action: str, to: str | None, actor, reason: str = "", data=None) -> bool:
        at = self.t + timedelta(minutes=minutes)
        if self.stopped or at > self.now:
            self.stopped = True
            return False
        self.t = at
        before = self.state
        self.state = to or self.state
        self.transitions.append(
            CaseTransition(
                complaint_id=self.c.pk,
                action=action,
                from_state=before,
                to_state=self.state,
                actor=actor,
                reason=reason,
                data=data or {},
                at=at,
            )
        )
        return True

    def build(self) -> None:
        rng, c, st = self.rng, self.c, self.staff
        org = st.orgs[c.responsible_org_id]
        manager, handler = st.manager(org), st.handler(org)
        if rng.random() < 0.01:
            self.step(
                rng.uniform(15, 60), "not_accept", S.NOT_ACCEPTED, st.ho_officer, "非我行业务，已告知客户向相关机构反映"
            )
            self.fields["closed_at"] = self.t
            return
        if not self.step(rng.uniform(12, 35), "route", S.ROUTED, st.ho_officer, data={"org": org.code}):
            return
        if c.repeat_of_id and rng.random() < 0.5:
            if self.step(
                rng.uniform(5, 90), "merge", S.MERGED, manager, "重复投诉，合并处理", {"into_id": c.repeat_of_id}
            ):
                self.fields.update(merged_into_id=c.repeat_of_id, closed_at=self.t)
            return
        if not self.step(rng.uniform(8, 110), "accept", S.ACCEPTED, manager):
            return
        self.fields["first_response_at"] = self.t
        if handler and self.step(rng.uniform(5, 60), "assign", None, manager, data={"to": handler.username}):
            self.rows["assign"].append(
                Assignment(complaint_id=c.pk, assigned_to=handler, assigned_by=manager or handler, at=self.t)
            )
            self.fields["assigned_to_id"] = handler.pk
        if not self.step(rng.uniform(60, 1440), "start_investigation", S.INVESTIGATING, handler):
            return
        if rng.random() < 0.004 and (self.now - c.received_at).days > 16:
            self.stopped = True  # stalled: left overdue for the demo inbox
            return
        if rng.random() < 0.01:
            self.step(rng.uniform(600, 4000), "withdraw", S.WITHDRAWN, handler, "客户来电表示问题已解决，撤回投诉")
            self.fields["closed_at"] = self.t
            return
        if rng.random() < 0.08 and self.step(rng.uniform(1440, 4320), "pause", S.PAUSED, handler, "委托第三方鉴定"):
            start = self.t
            self.rows["pause"].append(
                Pause(
                    complaint_id=c.pk,
                    reason="appraisal",
                    note="委托第三方鉴定",
                    resume_to=S.INVESTIGATING,
                    started_at=start,
                    started_by=handler,
                )
            )
            days = rng.randint(3, 10)
            if not self.step(days * 1440, "resume", S.INVESTIGATING, handler, data={"paused_days": days}):
                self.fields["paused_since"] = start
                return
            self.rows["pause"][-1].ended_at = self.t
            self.rows["pause"][-1].ended_by = handler
            self.fields["paused_days"] = days
        work_days = rng.uniform(3, 11)
        if rng.random() < 0.15:
            self._extend(1, manager, handler)
            work_days += rng.uniform(8, 20)
            if rng.random() < 0.2:
                self._extend(2, st.ho_approver, handler)
                work_days += rng.uniform(10, 25)
        if self.stopped:
            return
        self._decide(work_days, handler, manager)

    def _extend(self, level: int, approver, handler) -> None:
        if not self.step(
            self.rng.uniform(1440, 4000),
            "request_extension",
            None,
            handler,
            "案情复杂，需调取外部资料",
            {"level": level},
        ):
            return
        req = ExtensionRequest(
            complaint_id=self.c.pk, level=level, reason="案情复杂，需调取外部资料", customer_informed=level == 2,
            requested_by=handler, requested_at=self.t,
        )  # fmt: skip
        self.rows["extension"].append(req)
        if self.step(self.rng.uniform(60, 1440), "extension_approved", None, approver, data={"level": level}):
            req.status, req.decided_by, req.decided_at = "approved", approver, self.t
            self.fields["extension_level"] = level

    def _decide(self, work_days: float, handler, manager) -> None:
        rng, st = self.rng, self.staff
        result = rng.choices(["upheld", "partly_upheld", "not_upheld"], [35, 30, 35])[0]
        rtype, money = rng.choice(REDRESS[:4] if result != "not_upheld" else [REDRESS[0], REDRESS[4]])
        amount = Decimal(rng.choice([50, 100, 200, 300, 680, 1200])) if money else Decimal("0")
        cause = rng.choice(self.root_causes) if self.root_causes else None
        minutes = work_days * 1440
        for version in (1, 2):
            if not self.step(
                minutes, "draft_decision", S.DECISION_DRAFTED, handler, DECISION_TEXT[result], {"version": version}
            ):
                return
            d = Decision(
                complaint_id=self.c.pk, version=version, text=DECISION_TEXT[result], proposed_result=result,
                redress_amount=amount, redress_type=rtype, root_cause_code=cause, author=handler, created_at=self.t,
            )  # fmt: skip
            self.rows["decision"].append(d)
            if not self.step(rng.uniform(30, 600), "submit_for_review", S.HO_REVIEW, manager):
                return
            returned = version == 1 and rng.random() < 0.14
            action = "return_to_branch" if returned else "approve_decision"
            to = S.INVESTIGATING if returned else S.APPROVED
            comment = "请补充交易流水与录音核查结论" if returned else ""
            if not self.step(rng.uniform(120, 1800), action, to, st.ho_approver, comment):
                return
            d.review, d.reviewed_by, d.reviewed_at, d.review_comment = (
                ("returned" if returned else "approved"),
                st.ho_approver,
                self.t,
                comment,
            )
            if not returned:
                self.fields["decided_at"] = self.t
                break
            minutes = rng.uniform(1, 3) * 1440
        if not self.step(rng.uniform(60, 1440), "respond", S.RESPONDED, handler, "已电话告知客户处理结果"):
            return
        self.fields["responded_at"] = self.t
        if not self.step(rng.uniform(600, 4000), "close", S.CLOSED, manager, data={"result": result}):
            return
        self.fields.update(
            closed_at=self.t, result=result, redress_amount=amount, redress_type=rtype,
            root_cause_code_id=cause.pk if cause else None,
        )  # fmt: skip
        if rng.random() < 0.03:
            self._verify()

    def _verify(self) -> None:
        rng, st, cal = self.rng, self.staff, work_calendar()
        asked = timezone.localtime(self.fields["responded_at"]).date() + timedelta(days=rng.randint(2, 25))
        if not self.step(
            rng.uniform(2, 25) * 1440,
            "request_verification",
            S.VERIFICATION,
            st.ho_officer,
            "客户不认可处理结果，书面申请核实",
        ):
            return
        asked = min(asked, timezone.localtime(self.t).date())
        org = st.orgs[self.c.responsible_org_id]
        upper = st.orgs[org.parent_id] if org.parent_id else org
        due = clocks.verification_due(asked, calendar=cal)
        v = VerificationRequest(
            complaint_id=self.c.pk, requested_on=asked, upper_org=upper, reason="客户不认可处理结果", due_date=due,
            recorded_by=st.ho_officer, recorded_at=self.t,
        )  # fmt: skip
        self.rows["verify"].append(v)
        self.fields["verification_due"] = due
        approver = st.ho_approver if upper.kind == Organisation.Kind.HEAD_OFFICE else st.manager(upper)
        if self.step(rng.uniform(5, 25) * 1440, "decide_verification", S.CLOSED, approver, "维持原处理意见"):
            v.outcome, v.comment, v.decided_by, v.decided_at = "upheld", "维持原处理意见", approver, self.t
            self.fields["closed_at"] = self.t

    def complaint(self) -> Complaint:
        f, c = self.fields, self.c
        if self.state == S.VERIFICATION:
            due = f["verification_due"]
        else:
            received_on = timezone.localtime(c.received_at).date()
            due = clocks.decision_due(
                received_on,
                extension_level=f["extension_level"],
                paused_days=f["paused_days"],
                calendar=work_calendar(),
            )
        values = {k: f.get(k) for k in ("first_response_at", "decided_at", "responded_at", "closed_at", "paused_since")}
        return Complaint(
            id=c.pk, status=self.state, assigned_to_id=f.get("assigned_to_id"), due_date=due,
            extension_level=f["extension_level"], paused_days=f["paused_days"], result=f.get("result", ""),
            redress_amount=f.get("redress_amount"), redress_type=f.get("redress_type", ""),
            root_cause_code_id=f.get("root_cause_code_id"), merged_into_id=f.get("merged_into_id"), **values,
        )  # fmt: skip


# Standard replies a demo bank would keep (admin-managed; issue 14): the draft form offers those
# of the case's B or C code or an ancestor, so a fresh demo shows the feature on common cases.
DEMO_REPLY_TEMPLATES = (
    (
        "B030202",
        "信用卡年费减免答复",
        "尊敬的客户：经核实，您的信用卡年费系按领用合约收取。鉴于您的用卡情况，我行同意为您减免本年度年费，"
        "相关款项将于 3 个工作日内退回原卡。如有疑问，请致电我行客服热线。",
    ),
    (
        "B030203",
        "交易争议调查答复",
        "尊敬的客户：我行已受理您对该笔交易的异议，并已向收单机构发起调单。调查期间该笔款项暂不计息，"
        "我行将在调查结束后将结果书面告知您。",
    ),
    (
        "B01",
        "存款业务一般答复",
        "尊敬的客户：感谢您对我行存款业务提出的意见。经核实，相关业务办理符合我行规定，"
        "我行已就服务细节对网点员工进行提醒，并将持续改进服务。",
    ),
)


def seed_reply_templates() -> int:
    """The demo's reply templates, once (by code and title); returns how many were added."""
    from .models import ReplyTemplate

    codes = {c.code: c for c in ClassificationCode.objects.filter(code__in=[t[0] for t in DEMO_REPLY_TEMPLATES])}
    added = 0
    for code, title, body in DEMO_REPLY_TEMPLATES:
        if code in codes:
            added += ReplyTemplate.objects.get_or_create(code=codes[code], title=title, defaults={"body": body})[1]
    return added


def seed(stdout=None, options=None) -> int:
    """Give every untouched demo complaint a history; returns how many cases were moved."""
    started = time.monotonic()
    seed_reply_templates()
    now = timezone.now()
    has_history = CaseTransition.objects.filter(complaint_id=OuterRef("pk")).exclude(action="register")
    todo = Complaint.objects.filter(status=S.REGISTERED).filter(~Exists(has_history)).order_by("id")
    ids = list(todo.values_list("id", flat=True))
    if not ids:
        if stdout:
            stdout.write("workflow demo: nothing to do")
        return 0
    from . import demo_controls

    shown = frozenset(demo_controls.seed(now, ids, stdout=stdout))  # through the services, before the bulk
    ids = [pk for pk in ids if pk not in shown]
    staff = _Staff()
    root_causes = list(ClassificationCode.objects.filter(axis="C", children__isnull=True, is_active=True))
    registered = set(CaseTransition.objects.filter(action="register").values_list("complaint_id", flat=True))
    moved = 0
    fields = (
        "id",
        "received_at",
        "responsible_org_id",
        "repeat_of_id",
        "assigned_to_id",
        "created_by_id",
        "created_at",
        "due_date",
    )
    for start in range(0, len(ids), 2000):
        chunk = list(Complaint.objects.filter(id__in=ids[start : start + 2000]).only(*fields).order_by("id"))
        with transaction.atomic():
            moved += _seed_chunk(chunk, now, staff, root_causes, registered)
    if stdout:
        stdout.write(f"workflow demo: {moved} cases moved on in {time.monotonic() - started:.1f}s")
    return moved + len(shown)


def _insert_rows(model, objs: list) -> None:
    """executemany of one INSERT: bulk_create compiles one statement per ~100 rows on SQLite."""
    if not objs:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    params = [[f.get_db_prep_save(getattr(o, f.attname), connection) for f in fields] for o in objs]
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", params)


def _update_rows(updates: list[Complaint], fields: tuple[str, ...] | list[str] = UPDATE_FIELDS) -> None:
    """One parameterised UPDATE per case via executemany: bulk_update's CASE chains are
    ~20x slower at this size on SQLite."""
    if not updates:
        return
    fields = [Complaint._meta.get_field(name) for name in fields]
    table = connection.ops.quote_name(Complaint._meta.db_table)
    sets = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    params = [[*(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields), obj.pk] for obj in updates]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", params)


def _seed_chunk(chunk, now, staff, root_causes, registered) -> int:
    transitions, updates, due_only = [], [], []
    rows: dict[str, list] = {"assign": [], "decision": [], "extension": [], "pause": [], "verify": []}
    for c in chunk:
        if c.pk not in registered:
            transitions.append(
                CaseTransition(complaint_id=c.pk, action="register", from_state="", to_state=S.REGISTERED,
                               actor_id=c.created_by_id, at=c.received_at + timedelta(minutes=3))
            )  # fmt: skip
        plan = _Plan(c, now, staff, root_causes)
        plan.build()
        transitions.extend(plan.transitions)
        for key, items in plan.rows.items():
            rows[key].extend(items)
        if plan.state != S.REGISTERED:
            updates.append(plan.complaint())
        elif c.due_date is None:  # complaints' demo leaves the decision clock to the workflow
            due_only.append(plan.complaint())
    _insert_rows(CaseTransition, transitions)
    _insert_rows(Assignment, rows["assign"])
    _insert_rows(Decision, rows["decision"])
    _insert_rows(ExtensionRequest, rows["extension"])
    _insert_rows(Pause, rows["pause"])
    _insert_rows(VerificationRequest, rows["verify"])
    _update_rows(updates)
    _update_rows(due_only, fields=("due_date",))
    # The decision clock's record, as the services would have left it after each event.
    from .timeliness import timeliness_store

    timeliness_store([c.pk for c in updates], now=now)
    # No analytics hook per chunk: the analytics demo runs next and rebuilds its rollups.
    return len(updates)
