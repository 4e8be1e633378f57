"""Workflow pages: the case page with its panels, the action endpoint, inboxes and queues.

Thin: forms parse, ``workflow.services`` act, ``workflow.selectors`` read.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timezone import localdate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.models import Organisation
from accounts.selectors import administers, sees_everything
from complaints import selectors as complaint_selectors
from complaints.views import case_page
from complaints.worklist import BUCKET_LABELS, WORKLIST

from . import actions, approval_selectors, selectors
from .errors import CaseNotFound, WorkflowError
from .navigation import has_approvals, has_inbox
from .selectors import BUCKETS
from .services.seen import inbox_seen_mark


def _panels_page(request, complaint, *, status=200, bound=None) -> HttpResponse:
    """The one case page (the intake app's), with the refused action's form shown again."""
    return case_page(request, complaint_selectors.case_page_get(request.user, complaint.pk), status=status, bound=bound)


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The one case page: every app's panels (``complaints.panels``); the old
    ``complaints:detail`` address redirects here."""
    return case_page(request, complaint_selectors.case_page_get(request.user, pk))


def _next_url(request, pk: int, raw: str) -> str:
    if raw and url_has_allowed_host_and_scheme(
        raw, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return raw
    return reverse("workflow:case", args=[pk])


@login_required
@require_POST
def case_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Run one action; on any refusal re-render the case with the message and the typed input kept."""
    complaint = selectors.case_for(request.user, pk)  # 404 outside scope
    spec = actions.SPECS.get(action)
    if spec is None:
        raise Http404
    form = spec.form(request.POST, request.FILES, prefix=action, **actions.form_kwargs(action, request.user))
    if not form.is_valid():
        errors = "；".join(
            f"{form.fields[f].label if f in form.fields else ''} {' '.join(e)}".strip() for f, e in form.errors.items()
        )
        return _panels_page(request, complaint, status=400, bound=(action, form, errors))
    version = form.cleaned_data.get("version") or None
    try:
        spec.call(form.cleaned_data, complaint.pk, request.user, version)
    except CaseNotFound:
        raise Http404 from None
    except WorkflowError as exc:
        complaint.refresh_from_db()
        messages.error(request, exc.message)
        return _panels_page(request, complaint, status=exc.http_status, bound=(action, form, exc.message))
    messages.success(request, _("已完成：%(action)s") % {"action": spec.label})
    return redirect(_next_url(request, complaint.pk, form.cleaned_data.get("next", "")))


def _page(request, qs, per_page=25):
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


def _calendar_notice(user) -> dict:
    """Context for workflow/_calendar_gap.html: years ahead without holiday data. How to add
    them (a file and a command) is for those who administer the system; staff read what it means."""
    return {"calendar_gaps": selectors.calendar_gaps(), "show_calendar_help": administers(user)}


def _seen_page(request, inbox: str, rows, **context) -> HttpResponse:
    """An inbox page with "new since you last looked" markers; opening it marks it seen.

    The time recorded is when the rows were read, so a case changed while the page was
    being built stays new for the next visit. Nothing is written when no case of the inbox
    changed since the last look: the next visit would show the same (issue 12)."""
    read_at = timezone.now()
    seen_at = selectors.inbox_seen_at(request.user, inbox)
    page = _page(request, rows)
    page.object_list = selectors.mark_new(page.object_list, seen_at)
    if seen_at is None or selectors.inbox_changed_since(request.user, inbox, seen_at):
        inbox_seen_mark(user=request.user, inbox=inbox, at=read_at)
    return render(
        request,
        "workflow/inbox.html",
        {"page": page, "today": localdate(), "sorts": SORT_CHOICES, **context, **_calendar_notice(request.user)},
    )


SORT_CHOICES = (("deadline", _lazy("按时限")), ("newest", _lazy("最新在前")))


def _sort(request) -> str:
    sort = request.GET.get("sort", "")
    return sort if sort in selectors.SORTS else "deadline"


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The branch inbox (head office sees every branch): by urgency or newest first, with counters."""
    bucket = request.GET.get("bucket", "")
    bucket = bucket if bucket in BUCKETS else ""
    sort = _sort(request)
    qs, counters = selectors.inbox_for(request.user, bucket=bucket, sort=sort)
    return _seen_page(
        request,
        "inbox",
        qs,
        counters=counters,
        tiles=_tiles(counters, bucket),
        bucket=bucket,
        sort=sort,
        title=_("待办投诉"),
    )


TILE_TONES = {"overdue": "bad", "due_today": "bad", "due_soon": "warn"}


def _tiles(counters: dict[str, int], bucket: str) -> list[dict]:
    """The inbox's tiles: each count links to the case list filtered the same way
    (``complaints.worklist``: the list's count is the tile's), each label to this inbox's bucket."""
    return [
        {
            "key": b or "total",
            "bucket": b,
            "list_bucket": b or WORKLIST,
            "label": BUCKET_LABELS[b or WORKLIST],
            "count": counters[b or "total"],
            "tone": TILE_TONES.get(b, ""),
            "on": b == bucket,
        }
        for b in ("", *BUCKETS)
    ]


@login_required
def my_cases(request: HttpRequest) -> HttpResponse:
    sort = _sort(request)
    rows = selectors.my_cases_newest(request.user) if sort == "newest" else selectors.my_cases(request.user)
    return _seen_page(request, "mine", rows, counters=None, sort=sort, title=_("我的案件"))


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Head office's deadline overview by branch (head-office staff and auditors)."""
    if not sees_everything(request.user):
        raise Http404
    rows = selectors.overview_by_branch(request.user)
    totals = {
        k: sum(getattr(r, k) for r in rows)
        for k in ("total", "overdue", "due_today", "due_soon", "paused", "awaiting_ho", "to_route", "extensions")
    }
    table = [
        {"row": r, "cells": _overview_cells(r, r.org.code if r.org.kind == Organisation.Kind.BRANCH else None)}
        for r in rows
    ]
    return render(
        request,
        "workflow/overview.html",
        {
            "rows": rows,
            "table": table,
            "totals": totals,
            "total_cells": _overview_cells(SimpleNamespace(**totals), ""),
            **_calendar_notice(request.user),
        },
    )


OVERVIEW_COLUMNS = (("total", WORKLIST), *((b, b) for b in BUCKETS if b != "unassigned"))


def _overview_cells(row, org_code: str | None) -> list[tuple[int, str]]:
    """A row's numbers, each with the case list filtered the same way (the branch's subtree and the
    bucket, complaints.worklist): a branch row folds in its sub-branches as the list's org filter
    does. ``org_code`` "" is every branch (the totals); None: no link (head office's own cases,
    which the list's org filter cannot pick apart from the branches under it)."""
    cells = []
    for key, bucket in OVERVIEW_COLUMNS:
        url = ""
        if org_code is not None:
            url = f"{reverse('complaints:list')}?{'org=' + org_code + '&' if org_code else ''}bucket={bucket}"
        cells.append((getattr(row, key), url))
    return cells


# Each approval list shows this many rows, with a "more" link to its own paged list: the
# page used to render up to 300 full rows (100 per list), which cost more than its SQL.
APPROVAL_SECTIONS = ("reviews", "extensions", "verifications")
APPROVALS_PER_SECTION = 25


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    """What waits for the user's decision, with "new since you last looked" markers (issue 14):
    opening the page marks the queue seen (written only when something arrived since)."""
    if not request.user.has_role(roles.HO_OFFICER, roles.HO_APPROVER, roles.BRANCH_MANAGER):
        raise Http404
    read_at = timezone.now()
    sort = _sort(request)
    queue = approval_selectors.sorted_queue(selectors.approval_queue(request.user), sort)
    seen_at = approval_selectors.seen_at(request.user)
    section = request.GET.get("section", "")
    section = section if section in APPROVAL_SECTIONS else ""
    context: dict = {
        "today": localdate(),
        "section": section,
        "more": {},
        "page": None,
        "sort": sort,
        "sorts": SORT_CHOICES,
        "sort_q": f"&sort={sort}" if sort != "deadline" else "",  # kept by the "more" and page links
    }
    for name in APPROVAL_SECTIONS:
        qs = getattr(queue, name)
        field = "requested_at" if name == "extensions" else "updated_at"
        if section:
            # One list on its own page, paged; the others are not read at all.
            context[name] = []
            if name == section:
                context["page"] = _page(request, qs, APPROVALS_PER_SECTION)
                context[name] = approval_selectors.mark(context["page"].object_list, seen_at, field=field)
        else:
            rows = list(qs[: APPROVALS_PER_SECTION + 1])  # one extra row tells whether "more" is needed
            context[name] = approval_selectors.mark(rows[:APPROVALS_PER_SECTION], seen_at, field=field)
            context["more"][name] = len(rows) > APPROVALS_PER_SECTION
    if seen_at is None or approval_selectors.changed_since(queue, seen_at):
        inbox_seen_mark(user=request.user, inbox=approval_selectors.APPROVALS, at=read_at)
    return render(request, "workflow/approvals.html", context)


@login_required
def badges(request: HttpRequest) -> HttpResponse:
    """The top bar's counts of new work, both in one fragment the page loads with htmx (one
    request, not one per badge): the inbox's new cases for inbox users, and the approval queue's
    new items for approvers and managers. Each is one capped count, and a badge with nothing new
    is left out (nothing at all when neither has anything)."""
    cap = selectors.NEW_BADGE_CAP

    def shown(count: int) -> str:
        return f"{cap - 1}+" if count >= cap else str(count)

    user = request.user
    inbox = selectors.new_in_inbox_count(user, cap=cap) if has_inbox(user) else 0
    approvals = approval_selectors.new_count(user, cap=cap) if has_approvals(user) else 0
    return render(
        request,
        "workflow/_badges.html",
        {"inbox": inbox, "inbox_shown": shown(inbox), "approvals": approvals, "approvals_shown": shown(approvals)},
    )
