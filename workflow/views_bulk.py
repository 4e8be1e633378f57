"""Bulk dispatch / assign from the case list (``complaints:list``): thin, the rows are the service's."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import roles
from voc.params import id_param

from .services.bulk import BULK_ACTIONS, BULK_MAX, cases_bulk_act, too_many_message

# Who is offered a bulk action at all: dispatch is head office's, assignment a branch manager's.
# Each row is then checked by the permission table like any single action.
BULK_ROLES = {"route": (roles.HO_OFFICER,), "assign": (roles.BRANCH_MANAGER,)}


@login_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Run dispatch or assign on the cases ticked in the list; one result per row (htmx: the
    results alone, into the list page; otherwise a page with a way back to the list)."""
    action = request.POST.get("action", "")
    if action not in BULK_ACTIONS or not request.user.has_role(*BULK_ROLES[action]):
        raise Http404
    ids = [pk for pk in (id_param(raw) for raw in request.POST.getlist("case")) if pk]
    handler = id_param(request.POST.get("handler", "")) if action == "assign" else None
    too_many = len(set(ids)) > BULK_MAX
    results = (
        [] if too_many else cases_bulk_act(actor=request.user, action=action, complaint_ids=ids, handler_id=handler)
    )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = ""
    context = {
        "results": results,
        "done": sum(r.ok for r in results),
        "refused": sum(not r.ok for r in results),
        "back": back,
        "nothing_chosen": not ids,
        "too_many": too_many_message(len(set(ids))) if too_many else "",
    }
    htmx = bool(request.headers.get("HX-Request"))
    context["oob"] = htmx
    template = "workflow/_bulk_results.html" if htmx else "workflow/bulk.html"
    # htmx swaps no 4xx answer (its default), so the list gets the message with a 200.
    return render(request, template, context, status=400 if too_many and not htmx else 200)
