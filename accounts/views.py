from __future__ import annotations

from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from . import roles
from .forms import AuditFilterForm
from .navigation import collect_links
from .selectors import AuditFilters, audit_page_for, audit_people, can_read_audit_trail, notifications_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role sees what it can do: its inboxes and views, grouped by section."""
    links = collect_links(request.user)
    order: dict[str, int] = {}
    for link in links:
        order.setdefault(str(link.section), len(order))
    links.sort(key=lambda link: order[str(link.section)])
    sections = [(section, list(items)) for section, items in groupby(links, key=lambda link: str(link.section))]
    role_labels = [roles.ROLE_LABELS[r] for r in sorted(request.user.role_set)]
    return render(request, "accounts/home.html", {"sections": sections, "role_labels": role_labels})


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """Head-office auditors and administrators read the append-only trail; everyone else gets 404."""
    if not can_read_audit_trail(request.user):
        raise Http404
    form = AuditFilterForm(request.GET or None, people=audit_people(request.user))
    form.is_valid()
    actor = form.value("actor")
    filters = AuditFilters(
        actor_id=actor.pk if actor else None,
        action=form.value("action") or "",
        date_from=form.value("date_from"),
        date_to=form.value("date_to"),
        reference=(form.value("case") or "").strip().upper(),
    )
    page = audit_page_for(request.user, filters, cursor=request.GET.get("after"))
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "accounts/audit_log.html",
        {"form": form, "page": page, "query": query.urlencode(), "paged": bool(request.GET.get("after"))},
    )


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's own notifications, newest first; POST marks them read."""
    from django.shortcuts import redirect

    from .services import notification_mark_read

    if request.method == "POST":
        notification_mark_read(user=request.user)
        return redirect("accounts:notifications")
    items = notifications_for(request.user)
    return render(request, "accounts/notifications.html", {"items": items})
