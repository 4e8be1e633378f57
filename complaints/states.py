"""Case states of the head office ↔ branch workflow (see shared/design/DOMAIN.md), owned with the
case row by complaints (issue 13); every app imports them from here.

Kept out of the model field's ``choices`` on purpose: adding a state must not
need a schema migration of the 1-million-row complaints table.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseState(models.TextChoices):
    REGISTERED = "registered", _("已登记")
    ROUTED = "routed", _("已派发分行")
    ACCEPTED = "accepted", _("分行已受理")
    INVESTIGATING = "investigating", _("调查处理中")
    DECISION_DRAFTED = "decision_drafted", _("已拟处理意见")
    HO_REVIEW = "ho_review", _("总行审核中")
    APPROVED = "approved", _("总行已审核，待答复客户")
    RESPONDED = "responded", _("已答复客户")
    VERIFICATION = "verification", _("上级核实中")
    CLOSED = "closed", _("已办结")
    PAUSED = "paused", _("暂停计时（外部鉴定）")
    WITHDRAWN = "withdrawn", _("客户撤诉")
    MERGED = "merged", _("已合并")
    NOT_ACCEPTED = "not_accepted", _("不予受理")


# States in which the regulatory decision clock is running or paused (the case is open).
OPEN_STATES = frozenset(
    {
        CaseState.REGISTERED,
        CaseState.ROUTED,
        CaseState.ACCEPTED,
        CaseState.INVESTIGATING,
        CaseState.DECISION_DRAFTED,
        CaseState.HO_REVIEW,
        CaseState.APPROVED,
        CaseState.PAUSED,
        CaseState.VERIFICATION,
    }
)
FINAL_STATES = frozenset({CaseState.CLOSED, CaseState.WITHDRAWN, CaseState.MERGED, CaseState.NOT_ACCEPTED})
# The decision has been told to the customer: the decision clock has stopped,
# the case waits to be closed (and may come back through verification).
DECIDED_STATES = frozenset({CaseState.RESPONDED, CaseState.CLOSED})
# States in which the regulatory decision clock runs (not paused, not decided).
CLOCK_RUNNING_STATES = OPEN_STATES - {CaseState.PAUSED}


def state_label(value: str) -> str:
    try:
        return str(CaseState(value).label)
    except ValueError:
        return value
