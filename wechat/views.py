"""Staff pages of the WeChat queue: the drafts, and "not a complaint". Registering a draft is the
normal intake form, prefilled (complaints:intake?wechat=<id>; see intake_sources.py)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_POST

from complaints.draft_views import not_complaint_from_post

from . import selectors
from .models import WeChatMessage
from .services import wechat_draft_dismiss


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    if not selectors.can_handle_wechat(request.user):
        raise Http404
    status = request.GET.get("status", WeChatMessage.Status.DRAFT)
    if status not in WeChatMessage.Status.values:
        status = WeChatMessage.Status.DRAFT
    page = Paginator(selectors.queue_for(request.user, status=status), 25).get_page(request.GET.get("page"))
    rows = [(m, selectors.transcript_text(m) if m.kind == WeChatMessage.Kind.VOICE else m.text) for m in page]
    return TemplateResponse(
        request,
        "wechat/queue.html",
        {"page": page, "rows": rows, "status": status, "statuses": WeChatMessage.Status.choices},
    )


@login_required
@require_POST
def not_complaint(request: HttpRequest, pk: int) -> HttpResponse:
    message = selectors.message_for(request.user, pk)
    if message is None:
        raise Http404
    error = not_complaint_from_post(
        request, lambda reason: wechat_draft_dismiss(actor=request.user, message=message, reason=reason)
    )
    if error:
        messages.error(request, error)
    return redirect("wechat:queue")
