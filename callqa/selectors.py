"""Reads and access rules of call QA.

Who: reviewers are the listening managers, branch complaint managers and head-office officers /
approvers (``REVIEW_ROLES``), and administrators; auditors may read the queue and scorecards. What:
the calls ``recordings.selectors.recordings_visible_to`` gives them (their org subtree); another
branch's call is a 404. Overturning also needs ``can_write``.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Avg, Count, Prefetch, QuerySet
from django.http import Http404

from accounts import roles
from accounts.models import User
from accounts.selectors import can_write
from recordings.models import CallRecording
from recordings.selectors import recordings_visible_to

from .models import CallScore, QaHit

REVIEW_ROLES = frozenset(
    {roles.LISTENING_MANAGER, roles.BRANCH_MANAGER, roles.HO_OFFICER, roles.HO_APPROVER, roles.ADMIN}
)
READ_ROLES = REVIEW_ROLES | {roles.AUDITOR}
QUEUE_PAGE = 50


def can_read(user: User) -> bool:
    return user.is_authenticated and user.is_active and (user.is_superuser or user.has_role(*READ_ROLES))


def can_review(user: User) -> bool:
    return can_write(user) and (user.is_superuser or user.has_role(*REVIEW_ROLES))


def scores_visible_to(user: User) -> QuerySet[CallScore]:
    if not can_read(user):
        return CallScore.objects.none()
    return CallScore.objects.filter(recording__in=recordings_visible_to(user).values("pk"))


def review_queue(user: User, *, max_score: int = 100) -> QuerySet[CallScore]:
    """The lowest-scoring calls first (then the newest)."""
    return (
        scores_visible_to(user)
        .filter(score__lte=max_score)
        .select_related("recording", "agent", "team")
        .order_by("score", "-id")
    )


def call_for(user: User, pk: int) -> tuple[CallRecording, CallScore | None]:
    """A call in the user's scope with its score (None: not scored yet); else 404."""
    if not can_read(user):
        raise Http404
    rec = recordings_visible_to(user).filter(pk=pk).first()
    if rec is None:
        raise Http404
    rec.via_flag_only = False
    score = (
        CallScore.objects.filter(recording=rec)
        .select_related("agent", "team")
        .prefetch_related(Prefetch("hits", queryset=QaHit.objects.select_related("rule_version", "overturned_by")))
        .first()
    )
    return rec, score


def hit_for(user: User, rec: CallRecording, hit_id) -> QaHit | None:
    try:
        return QaHit.objects.filter(score__recording=rec, pk=int(hit_id)).first()
    except (TypeError, ValueError):
        return None


def weeks_back(today: dt.date, n: int) -> list[dt.date]:
    monday = today - dt.timedelta(days=today.weekday())
    return [monday - dt.timedelta(weeks=k) for k in range(n - 1, -1, -1)]


def scorecards(user: User, *, by: str, today: dt.date, weeks: int = 8) -> tuple[list[dt.date], list[dict]]:
    """Average score per agent (``by="agent"``) or team/org (``by="team"``) and week, over the
    calls the user may see: (weeks, rows of {key, name, cells: [{week, avg, calls}]}), worst first."""
    cols = weeks_back(today, weeks)
    field = "agent" if by == "agent" else "team"
    data = (
        scores_visible_to(user)
        .filter(week__gte=cols[0], week__lte=cols[-1])
        .values(f"{field}_id", "week")
        .annotate(avg=Avg("score"), calls=Count("id"))
    )
    grid: dict = {}
    for row in data:
        grid.setdefault(row[f"{field}_id"], {})[row["week"]] = row
    names = _names(field, [k for k in grid if k is not None])
    out = []
    for key, per_week in grid.items():
        cells = [
            {
                "week": w,
                "avg": round(per_week[w]["avg"], 1) if w in per_week else None,
                "calls": per_week.get(w, {}).get("calls", 0),
            }
            for w in cols
        ]
        total = sum(c["calls"] for c in cells)
        overall = sum((c["avg"] or 0) * c["calls"] for c in cells) / total if total else None
        out.append(
            {
                "key": key,
                "name": names.get(key, "—"),
                "cells": cells,
                "calls": total,
                "avg": round(overall, 1) if overall is not None else None,
            }
        )
    out.sort(key=lambda r: (r["avg"] is None, r["avg"] or 0, str(r["name"])))
    return cols, out


def _names(field: str, keys: list) -> dict:
    if field == "agent":
        return {u.pk: str(u) for u in User.objects.filter(pk__in=keys).only("id", "username", "display_name")}
    from accounts.models import Organisation

    return {o.pk: o.name_zh for o in Organisation.objects.filter(pk__in=keys)}
