"""Call QA pages: the reviewers' queue, one call with its hits and the player, overturning a hit,
weekly scorecards. Thin: reads from ``selectors``, writes through ``services``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from recordings.views import player_context

from . import selectors, services
from .models import QaHit

SPEAKERS = {"agent": _lazy("坐席"), "customer": _lazy("客户"), "unknown": _lazy("未区分说话人")}


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        return 1


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    if not selectors.can_read(request.user):
        raise Http404
    number = _page_number(request)
    size = selectors.QUEUE_PAGE
    qs = selectors.review_queue(request.user).prefetch_related(
        Prefetch(
            "hits",
            queryset=QaHit.objects.filter(overturned=False).select_related("rule_version").order_by("second", "id"),
            to_attr="live",
        )
    )
    rows = list(qs[(number - 1) * size : number * size + 1])  # one more: is there a next page (no count)
    return render(
        request,
        "callqa/queue.html",
        {"rows": rows[:size], "page": number, "has_next": len(rows) > size},
    )


@login_required
def call(request: HttpRequest, pk: int) -> HttpResponse:
    rec, score = selectors.call_for(request.user, pk)
    hits = list(score.hits.all()) if score else []
    hits.sort(key=lambda h: (h.overturned, h.second is None, h.second or 0, h.pk))
    for h in hits:
        h.speaker_label = SPEAKERS.get(h.speaker, h.speaker)
    return render(
        request,
        "callqa/call.html",
        {
            "rec": rec,
            "score": score,
            "hits": hits,
            "player": player_context(request, rec),
            "can_review": selectors.can_review(request.user),
        },
    )


@login_required
@require_POST
def overturn(request: HttpRequest, pk: int) -> HttpResponse:
    rec, score = selectors.call_for(request.user, pk)
    if not selectors.can_review(request.user):
        raise PermissionDenied
    hit = selectors.hit_for(request.user, rec, request.POST.get("hit"))
    if hit is None:
        messages.error(request, _("找不到该质检命中"))
        return redirect("callqa:call", pk=rec.pk)
    try:
        new = services.hit_overturn(actor=request.user, hit=hit, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已推翻该命中，得分更新为 %(score)s") % {"score": new.score})
    return redirect("callqa:call", pk=rec.pk)


@login_required
def scorecards(request: HttpRequest) -> HttpResponse:
    if not selectors.can_read(request.user):
        raise Http404
    by = "team" if request.GET.get("by") == "team" else "agent"
    weeks, rows = selectors.scorecards(request.user, by=by, today=timezone.localdate())
    return render(request, "callqa/scorecards.html", {"by": by, "weeks": weeks, "rows": rows})
