"""Staff pages of the mail queue: list, one mail, its attachments, "not a complaint". Registering
a draft is the normal intake form, prefilled (complaints:intake?mail=<id>; see intake_sources.py)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from complaints.draft_views import not_complaint_from_post

from . import selectors
from .models import InboundMail
from .services import mail_draft_dismiss


def _mail_or_404(request: HttpRequest, pk: int) -> InboundMail:
    mail = selectors.mail_draft_for(request.user, pk)
    if mail is None:
        raise Http404
    return mail


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    if not selectors.can_handle_mail(request.user):
        raise Http404
    status = request.GET.get("status", InboundMail.Status.DRAFT)
    if status not in InboundMail.Status.values:
        status = InboundMail.Status.DRAFT
    page = Paginator(selectors.mail_queue_for(request.user, status=status), 25).get_page(request.GET.get("page"))
    return render(
        request, "mailintake/queue.html", {"page": page, "status": status, "statuses": InboundMail.Status.choices}
    )


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    mail = _mail_or_404(request, pk)
    return render(request, "mailintake/detail.html", {"mail": mail, "attachments": list(mail.attachments.all())})


@login_required
@require_GET
def attachment(request: HttpRequest, pk: int, att: int) -> HttpResponse:
    """One stored attachment of a mail the user may see, always as a download (never rendered)."""
    mail = _mail_or_404(request, pk)
    row = mail.attachments.filter(pk=att).exclude(file="").first()
    if row is None:
        raise Http404
    try:
        handle = default_storage.open(row.file.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    resp = FileResponse(handle, as_attachment=True, filename=row.filename, content_type="application/octet-stream")
    resp["X-Content-Type-Options"] = "nosniff"
    return resp


@login_required
@require_POST
def not_complaint(request: HttpRequest, pk: int) -> HttpResponse:
    mail = _mail_or_404(request, pk)
    error = not_complaint_from_post(
        request, lambda reason: mail_draft_dismiss(actor=request.user, mail=mail, reason=reason)
    )
    if not error:
        return redirect("mailintake:queue")
    messages.error(request, error)
    return render(
        request,
        "mailintake/detail.html",
        {"mail": mail, "attachments": list(mail.attachments.all()), "reason": request.POST.get("reason", "")},
        status=400,
    )
