"""Pages for recordings: case panel (htmx), recording page with the synced player,
access-checked audio, flag/listen, suspected complaints, the play log."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import AuditAction
from accounts.selectors import audit_people
from accounts.services import audit_record
from complaints.selectors import complaint_get_for, complaints_for
from voc.params import id_param

from . import selectors, services
from .forms import CommentForm, FlagForm, LinkForm, PlayFilterForm, UploadForm
from .models import CallRecording, ListeningEvent
from .streaming import play_response
from .upload_notices import upload_notice


def _messages_of(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return list(exc.messages)


# --- shared building blocks ----------------------------------------------------------


def player_context(request: HttpRequest, rec: CallRecording, *, show_original: bool = False) -> dict:
    """What the player needs. Original text only for ``can_hear_original`` (and then logged)."""
    user = request.user
    show_original = show_original and selectors.can_hear_original(user) and not rec.via_flag_only
    if show_original:
        audit_record(actor=user, action=AuditAction.RECORDING_TRANSCRIPT_UNMASKED, obj=rec)
    segments = [
        {
            "index": s.index,
            "start": s.start,
            "end": s.end,
            "text": s.text_original if show_original else s.text_redacted,
            "sensitive": s.has_sensitive,
            "speaker": s.speaker,
            "speaker_label": s.get_speaker_display(),
        }
        for s in selectors.segments_for(rec)
    ]
    play = uuid.uuid4().hex
    versions = selectors.playable_versions(user, rec)
    sources = [
        {
            "version": v,
            "label": ListeningEvent.Version(v).label,
            "url": f"{reverse('recordings:audio', args=[rec.pk, v])}?play={play}",
        }
        for v in versions
    ]
    return {
        "rec": rec,
        "segments": segments,
        "sources": sources,
        "unplayable": "" if versions else selectors.unplayable_reason(user, rec),
        "show_original": show_original,
        "can_original": selectors.can_hear_original(user) and not rec.via_flag_only,
    }


def row_context(request: HttpRequest, rec: CallRecording) -> dict:
    rec.via_flag_only = getattr(rec, "via_flag_only", False)
    ctx = {"rec": rec, "position": selectors.queue_position(rec)}
    if rec.status == CallRecording.Status.DONE:
        ctx["player"] = player_context(request, rec)
    ctx["reason"] = selectors.unplayable_reason(request.user, rec)
    return ctx


def panel_context(request: HttpRequest, complaint, *, form: UploadForm | None = None, notice: str = "") -> dict:
    recs = selectors.recordings_for_complaint(request.user, complaint)
    return {
        "complaint": complaint,
        "rows": [row_context(request, r) for r in recs],
        "form": form if form is not None else (UploadForm() if selectors.can_upload(request.user) else None),
        "notice": notice,
    }


# --- case panel ----------------------------------------------------------------------


@login_required
def case_panel(request: HttpRequest, reference: str) -> HttpResponse:
    """GET: the panel body (htmx refresh). POST: upload a call to this case."""
    complaint = complaint_get_for(request.user, reference)  # 404 outside scope
    if request.method != "POST":
        return render(request, "recordings/_panel_body.html", panel_context(request, complaint))
    if not selectors.can_upload(request.user):
        raise Http404
    form = UploadForm(request.POST, request.FILES)
    status, notice = 400, ""
    if form.is_valid():
        try:
            result = services.recording_upload(
                uploaded_by=request.user, upload=form.cleaned_data["file"], complaint=complaint, **_metadata(form)
            )
        except ValidationError as exc:
            for msg in _messages_of(exc):
                form.add_error("file", msg)
        else:
            status = 201 if result.created else 200
            notice = upload_notice(request.user, result, complaint)
            form = None
    if not request.htmx:
        if status >= 400:
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        else:
            messages.success(request, notice)
        return redirect("workflow:case", pk=complaint.pk)
    return render(
        request,
        "recordings/_panel_body.html",
        panel_context(request, complaint, form=form, notice=notice),
        status=status,
    )


def _metadata(form: UploadForm) -> dict:
    d = form.cleaned_data
    return {
        "language": d["language"],
        "call_started_at": d.get("call_started_at"),
        "direction": d["direction"],
        "channel": d["channel"],
    }


@login_required
def case_page(request: HttpRequest, reference: str) -> HttpResponse:
    """The recordings of one case on their own page (also the panel's no-JS home)."""
    complaint = complaint_get_for(request.user, reference)
    return render(
        request, "recordings/case_page.html", {"complaint": complaint, "panel": panel_context(request, complaint)}
    )


@login_required
def status(request: HttpRequest, pk: int) -> HttpResponse:
    """One row, polled every 2 s while queued/processing."""
    rec = selectors.recording_for(request.user, pk)
    return render(request, "recordings/_row.html", row_context(request, rec))


# --- list and standalone upload ------------------------------------------------------


@login_required
def recording_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.recordings_visible_to(request.user)
    state = request.GET.get("status", "")
    if state in CallRecording.Status.values:
        qs = qs.filter(status=state)
    if request.GET.get("unlinked"):
        qs = qs.filter(complaint__isnull=True)
    redaction = request.GET.get("redaction", "")
    if redaction in CallRecording.Redaction.values:
        qs = qs.filter(redaction=redaction)
    if redaction == CallRecording.Redaction.REVIEW:
        qs = qs.order_by("finished_at", "pk")  # the review queue: oldest first
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    form = UploadForm() if selectors.can_upload(request.user) else None
    return render(
        request,
        "recordings/list.html",
        {
            "page": page,
            "form": form,
            "status": state,
            "statuses": CallRecording.Status.choices,
            "redaction": redaction,
            "redactions": CallRecording.Redaction.choices,
        },
    )


@login_required
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    """Upload first, link to a case later (the recording belongs to the uploader's org meanwhile)."""
    if not selectors.can_upload(request.user):
        raise Http404
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            result = services.recording_upload(
                uploaded_by=request.user, upload=form.cleaned_data["file"], **_metadata(form)
            )
        except ValidationError as exc:
            for msg in _messages_of(exc):
                form.add_error("file", msg)
        else:
            messages.success(request, upload_notice(request.user, result))
            return redirect("recordings:detail", pk=result.recording.pk)
    page = Paginator(selectors.recordings_visible_to(request.user), 25).get_page(1)
    return render(
        request,
        "recordings/list.html",
        {"page": page, "form": form, "statuses": CallRecording.Status.choices},
        status=400,
    )


# --- the recording page --------------------------------------------------------------


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    rec = selectors.recording_for(request.user, pk)
    flag = getattr(rec, "flag", None) if hasattr(rec, "flag") else None
    in_audience = flag is not None and selectors.flags_for_audience(request.user).filter(pk=flag.pk).exists()
    ctx = {
        "rec": rec,
        "row": row_context(request, rec),
        "player": player_context(request, rec, show_original=request.GET.get("original") == "1"),
        "flag": flag if flag is not None and flag.is_active else None,
        "in_audience": in_audience,
        "listened": in_audience and flag.receipts.filter(user=request.user).exists(),
        "comments": rec.comments.select_related("author"),
        "comment_form": CommentForm(),
        "flag_form": FlagForm(initial={"note": flag.note} if flag else None)
        if selectors.can_flag(request.user)
        else None,
        "link_form": LinkForm()
        if rec.complaint_id is None and selectors.can_upload(request.user) and not rec.via_flag_only
        else None,
        "can_retry": rec.status == CallRecording.Status.FAILED and selectors.can_flag(request.user),
        "can_audit": selectors.can_audit_plays(request.user),
        "suggestions": selectors.code_suggestions(rec)
        if rec.status == CallRecording.Status.DONE and selectors.can_upload(request.user) and not rec.via_flag_only
        else None,
        "can_dismiss": rec.suspect == CallRecording.Suspect.OPEN
        and selectors.can_see_suspects(request.user)
        and not rec.via_flag_only,
    }
    return render(request, "recordings/detail.html", ctx)


@login_required
def audio(request: HttpRequest, pk: int, version: str) -> HttpResponse:
    """Stream one version if this user may hear it; every play is a ListeningEvent."""
    return play_response(
        request, recording_id=pk, version=version, via=ListeningEvent.Via.PAGE, play_id=request.GET.get("play", "")
    )


@login_required
def codes_json(request: HttpRequest, pk: int) -> JsonResponse:
    """A/B/C code suggestions for the intake form, with the words behind each."""
    rec = selectors.recording_for(request.user, pk)
    return JsonResponse({"recording": rec.pk, "suggestions": selectors.code_suggestions(rec)})


def _post_action(request, pk, fn, ok_message: str, *, scope_only: bool = False):
    rec = selectors.recording_in_scope(request.user, pk) if scope_only else selectors.recording_for(request.user, pk)
    try:
        fn(rec)
    except ValidationError as exc:
        messages.error(request, " ".join(_messages_of(exc)))
    else:
        messages.success(request, ok_message)
    return redirect("recordings:detail", pk=rec.pk)


@login_required
@require_POST
def flag(request: HttpRequest, pk: int) -> HttpResponse:
    if not selectors.can_flag(request.user):
        raise Http404
    form = FlagForm(request.POST)

    def act(rec):
        if not form.is_valid():
            raise ValidationError(form.errors)
        d = form.cleaned_data
        services.recording_flag(
            actor=request.user,
            recording=rec,
            note=d["note"],
            audience_roles=d["audience_roles"],
            audience_orgs=d["audience_orgs"],
        )

    return _post_action(request, pk, act, _("已标记为典型录音并推送。"), scope_only=True)


@login_required
@require_POST
def listened(request: HttpRequest, pk: int) -> HttpResponse:
    def act(rec):
        f = selectors.flags_for_audience(request.user).filter(recording=rec).first()
        if f is None:
            raise Http404
        services.listen_mark(user=request.user, flag=f)
        body = request.POST.get("body", "").strip()
        if body:
            services.recording_comment_add(user=request.user, recording=rec, body=body)

    return _post_action(request, pk, act, _("已标记为已收听。"))


@login_required
@require_POST
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_action(
        request,
        pk,
        lambda rec: services.recording_comment_add(user=request.user, recording=rec, body=request.POST.get("body", "")),
        _("评论已发表。"),
    )


@login_required
@require_POST
def link(request: HttpRequest, pk: int) -> HttpResponse:
    def act(rec):
        reference = request.POST.get("reference", "").strip()
        complaint = complaints_for(request.user).filter(reference=reference).first()
        if complaint is None:
            raise ValidationError(_("找不到该投诉编号：%(r)s") % {"r": reference})
        services.recording_link(actor=request.user, recording=rec, complaint=complaint)

    return _post_action(request, pk, act, _("已关联到投诉。"), scope_only=True)


@login_required
@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    if not selectors.can_flag(request.user):
        raise Http404
    return _post_action(
        request,
        pk,
        lambda rec: services.recording_retry(actor=request.user, recording=rec),
        _("已重新排队。"),
        scope_only=True,
    )


@login_required
@require_POST
def release(request: HttpRequest, pk: int) -> HttpResponse:
    """A reviewer releases (or rejects) a held-back listening copy."""
    if not selectors.can_review_redaction(request.user):
        raise Http404
    if request.POST.get("decision") == "reject":
        return _post_action(
            request,
            pk,
            lambda rec: services.recording_redaction_reject(
                actor=request.user, recording=rec, reason=request.POST.get("note", "")
            ),
            _("已驳回：该脱敏录音不会被播放。"),
            scope_only=True,
        )
    return _post_action(
        request,
        pk,
        lambda rec: services.recording_redaction_release(
            actor=request.user, recording=rec, note=request.POST.get("note", "")
        ),
        _("已放行：脱敏录音可推送收听。"),
        scope_only=True,
    )


@login_required
@require_POST
def dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_action(
        request,
        pk,
        lambda rec: services.suspect_dismiss(actor=request.user, recording=rec),
        _("已排除疑似投诉。"),
        scope_only=True,
    )


# --- inboxes and the play log --------------------------------------------------------


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """典型录音 to listen to (phone-friendly); ``?all=1`` includes listened ones."""
    show_all = request.GET.get("all") == "1"
    flags = selectors.listening_inbox(request.user, include_listened=show_all)
    page = Paginator(flags, 20).get_page(request.GET.get("page"))
    return render(request, "recordings/inbox.html", {"page": page, "show_all": show_all})


@login_required
def suspected(request: HttpRequest) -> HttpResponse:
    if not selectors.can_see_suspects(request.user):
        raise Http404
    page = Paginator(selectors.suspected_queue(request.user), 25).get_page(request.GET.get("page"))
    return render(request, "recordings/suspected.html", {"page": page})


@login_required
def plays(request: HttpRequest) -> HttpResponse:
    """Auditors list every play (original and redacted), by person, recording, case and local
    days; others get 404."""
    if not selectors.can_audit_plays(request.user):
        raise Http404
    form = PlayFilterForm(request.GET or None, people=audit_people(request.user))
    form.is_valid()
    actor = form.value("actor")
    events, next_cursor = selectors.play_log_page(
        request.user,
        cursor=request.GET.get("after"),
        recording_id=id_param(request.GET.get("recording")),
        actor_id=actor.pk if actor else None,
        reference=(form.value("case") or "").strip().upper(),
        date_from=form.value("date_from"),
        date_to=form.value("date_to"),
    )
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "recordings/plays.html",
        {
            "form": form,
            "events": events,
            "next_cursor": next_cursor,
            "query": query.urlencode(),
            "paged": bool(request.GET.get("after")),
        },
    )
