"""Bulk dispatch and bulk assign from the case list: each row through the case's own service.

Each selected case is one call of the ordinary service (``case_route`` / ``case_assign``): its
own durable transaction, its row lock, the permission table and 回避 rules, its log entry and
notification. A row the user may not act on reports why (the service's own message) and the
others go on; nothing here widens what one user may do on one case.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from accounts.models import User
from complaints.selectors import complaints_for

from ..errors import CaseNotFound, WorkflowError
from . import case_assign, case_route

BULK_ACTIONS = ("route", "assign")
BULK_MAX = 100  # rows per request: a page of the list is 25


@dataclass(frozen=True)
class RowResult:
    complaint_id: int
    reference: str  # "" for a case the user may not see (it is not named)
    ok: bool
    message: str
    state: str = ""  # the case's state after a successful action (the list updates its row)


def too_many_message(chosen: int) -> str:
    return _("一次最多批量处理 %(max)s 件，已勾选 %(n)s 件：未做任何处理，请分批提交") % {"max": BULK_MAX, "n": chosen}


def cases_bulk_act(
    *, actor: User, action: str, complaint_ids: list[int], handler_id: int | None = None
) -> list[RowResult]:
    """Run ``action`` ("route": dispatch to the branch intake chose; "assign": to ``handler_id``)
    on each case in ``complaint_ids``, in order, one transaction per case; one result per case.

    More than BULK_MAX distinct cases: ValueError (too_many_message) before any is touched.
    Must not run inside a transaction (the services are durable: each row commits on its own)."""
    if action not in BULK_ACTIONS:
        raise ValueError(action)
    ids = list(dict.fromkeys(complaint_ids))
    if len(ids) > BULK_MAX:  # refused whole: never a silent first 100
        raise ValueError(too_many_message(len(ids)))
    refs = dict(complaints_for(actor).filter(pk__in=ids).values_list("pk", "reference"))
    results = []
    for pk in ids:
        reference = refs.get(pk)
        if reference is None:  # outside the user's scope, or gone: named by nothing
            results.append(RowResult(pk, "", False, _("投诉不存在")))
            continue
        try:
            if action == "route":
                case = case_route(complaint_id=pk, actor=actor)
                done, state = _("已派发至 %(org)s") % {"org": case.responsible_org.name_zh}, case.status
            else:
                assignment = case_assign(complaint_id=pk, actor=actor, handler_id=handler_id or 0)
                done = _("已分派给 %(name)s") % {"name": assignment.assigned_to}
                state = assignment.complaint.status
        except CaseNotFound:
            results.append(RowResult(pk, "", False, _("投诉不存在")))
        except WorkflowError as exc:
            results.append(RowResult(pk, reference, False, exc.message))
        else:
            results.append(RowResult(pk, reference, True, done, state))
    return results
