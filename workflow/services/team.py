"""Who works on a case: assignment (with 回避), comments, staff involved in the complaint."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts import roles
from accounts.models import User
from accounts.selectors import org_visible_to
from complaints.models import Complaint

from .. import permissions, recusal
from ..errors import InvalidInput
from ..models import Assignment, CaseComment, InvolvedStaff
from . import core, notify
from .case import _assign


def assignment_refusal(complaint: Complaint, handler: User | None) -> str | None:
    """Why ``handler`` cannot be given ``complaint``, or ``None`` (shown to the manager as is)."""
    if handler is None or not handler.is_active:
        return _("请选择一位在岗的经办人")
    if handler.is_service_account or not handler.has_role(roles.BRANCH_HANDLER, roles.BRANCH_MANAGER):
        # a service account (another system) holds roles to act through the API, not to be given cases
        return _("%(name)s 不是经办人") % {"name": handler}
    if handler.at_head_office or not org_visible_to(handler, complaint.responsible_org):
        return _("%(name)s 不在本投诉的责任机构，不能分派") % {"name": handler}
    involved = InvolvedStaff.objects.filter(complaint=complaint, user=handler).first()
    if involved is not None:
        return _("%(name)s 是本投诉的%(kind)s，须回避，不能分派") % {
            "name": handler,
            "kind": involved.get_kind_display(),
        }
    if complaint.assigned_to_id == handler.pk:
        return _("本投诉已由 %(name)s 经办") % {"name": handler}
    return None


@transaction.atomic
def case_assign(
    *, complaint_id: int, actor: User, handler_id: int, reason: str = "", expected_version=None, now=None
) -> Assignment:
    """A branch manager gives the case to a handler in the manager's subtree; reassignment is logged."""
    now = core.now_or(now)
    c = core.lock_case(complaint_id, actor=actor, action="assign", expected_version=expected_version)
    reason = core.optional_text(reason, max_length=500)  # Assignment.reason column
    handler = User.objects.filter(pk=handler_id).select_related("org").first()
    if handler is not None and not org_visible_to(actor, handler.org):
        handler = None  # someone outside the manager's subtree does not exist for them
    refusal = assignment_refusal(c, handler)
    if refusal:
        audit = None
        if handler is not None and not recusal.may_be_assigned(
            handler.pk, permissions.case_parties(c, action="assign")
        ):
            # 回避: the attempt stays on the case's log (who tried to give it to whom).
            audit = {"complaint_id": c.pk, "state": c.status, "action": "assign", "actor_id": actor.pk}
            audit |= {"rule": recusal.INVOLVED, "target": handler.username}
        raise InvalidInput(refusal, audit=audit)
    previous = c.assigned_to
    assignment = _assign(c, to=handler, by=actor, reason=reason, now=now)
    core.save_case(c, ["assigned_to"])
    core.log(
        c,
        action="reassign" if previous else "assign",
        actor=actor,
        from_state=c.status,
        reason=reason,
        data={"to": handler.username, "from": previous.username if previous else ""},
        at=now,
    )
    notify.notify(
        [handler],
        complaint=c,
        kind="case_assigned",
        title=_("您有新分派的投诉：%(ref)s") % {"ref": c.reference},
        body=c.summary,
        key=f"assigned:{assignment.pk}",
        email=True,
    )
    return assignment


@transaction.atomic
def case_comment(*, complaint_id: int, actor: User, body: str, expected_version=None, now=None) -> CaseComment:
    """A note on the case; the branch's first comment counts as its first response."""
    now = core.now_or(now)
    c = core.lock_case(complaint_id, actor=actor, action="comment", expected_version=expected_version)
    body = core.require_text(body, _("备注内容"))
    comment = CaseComment.objects.create(complaint=c, author=actor, body=body, at=now)
    fields = core.mark_first_response(c, actor=actor, now=now)
    if fields:
        core.save_case(c, fields)
        core.changed([c.pk])
    return comment


@transaction.atomic
def case_customer_message(
    *, complaint_id: int, channel: str, subject: str, sender: str, text: str = "", link: str = "", at=None
) -> None:
    """A message from the customer filed to the case by another channel (e.g. a reply by e-mail):
    one entry in the case's log, so the timeline shows it from the page's one read. The channel's
    own app keeps the message; the entry carries its subject, sender, text (masked by the caller) and
    a link to it. No person
    acts, so there is no permission to check; the caller has matched the message to the case."""
    c = Complaint.objects.select_for_update(of=("self",)).get(pk=complaint_id)
    core.log(
        c,
        action="customer_message",
        actor=None,
        from_state=c.status,
        reason=text[:2000],
        data={"channel": channel, "subject": subject[:300], "sender": sender[:320], "link": link[:300]},
        at=at,
    )


@transaction.atomic
def involved_staff_add(
    *,
    complaint_id: int,
    actor: User,
    user_id: int,
    kind: str = InvolvedStaff.Kind.INVOLVED,
    note: str = "",
    expected_version=None,
    now=None,
) -> InvolvedStaff:
    """Name a member of staff involved in (or the subject of) the complaint; if they hold it, it is unassigned."""
    now = core.now_or(now)
    c = core.lock_case(complaint_id, actor=actor, action="add_involved", expected_version=expected_version)
    note = core.optional_text(note, max_length=300)  # InvolvedStaff.note column
    user = User.objects.people().filter(pk=user_id).first()
    if user is None:
        raise InvalidInput(_("找不到该员工"))
    if kind not in InvolvedStaff.Kind.values:
        raise InvalidInput(_("请选择涉及类型"))
    row, created = InvolvedStaff.objects.get_or_create(
        complaint=c, user=user, defaults={"kind": kind, "note": note, "added_by": actor, "added_at": now}
    )
    if created:
        data = {"user": user.username, "kind": kind}
        if c.assigned_to_id == user.pk:
            c.assigned_to = None
            core.save_case(c, ["assigned_to"])
            data["unassigned"] = True
        core.log(c, action="add_involved", actor=actor, from_state=c.status, reason=note, data=data, at=now)
    return row


def involved_staff_at_intake(complaint: Complaint, *, actor: User | None, users=(), now=None) -> list[InvolvedStaff]:
    """At registration: the staff the intake agent picked, and staff of the responsible
    organisation named in the complaint's text (flagged as 投诉内容提及), are recorded for 回避.

    Called inside the intake transaction (no lock: the case is being created).
    """
    now = core.now_or(now)
    rows: dict[int, InvolvedStaff] = {}
    for user in users:
        rows[user.pk] = InvolvedStaff(
            complaint=complaint,
            user=user,
            kind=InvolvedStaff.Kind.INVOLVED,
            note=_("受理时登记"),
            added_by=actor,
            added_at=now,
        )
    org = complaint.responsible_org
    staff = (
        User.objects.people()
        .filter(is_active=True, org__path__startswith=org.path)
        .values_list("id", "username", "display_name")
    )
    named = recusal.names_in_text(f"{complaint.summary}\n{complaint.details}", staff)
    for uid in sorted(named - set(rows)):
        rows[uid] = InvolvedStaff(
            complaint=complaint,
            user_id=uid,
            kind=InvolvedStaff.Kind.NAMED,
            note=_("投诉内容提及该员工"),
            added_by=actor,
            added_at=now,
        )
    if rows:
        InvolvedStaff.objects.bulk_create(list(rows.values()), ignore_conflicts=True)
        usernames = dict(User.objects.filter(pk__in=list(rows)).values_list("id", "username"))
        core.log(
            complaint,
            action="add_involved",
            actor=actor,
            from_state=complaint.status,
            reason=_("受理登记回避人员"),
            data={
                "users": sorted(usernames[u] for u in rows),
                "named_in_text": sorted(usernames[u] for u in named),
            },
            at=now,
        )
    return list(rows.values())
