"""Regulator transfer pages: upload → preview → import, the error report, the template, and the
results export. Thin: parse, call a service or selector, render (docs/regulator-transfers.md).

The import pages are head office's complaint officers' (anyone else: 404, the feature is not
theirs); the results export is scoped like every case list."""

from __future__ import annotations

from collections import Counter
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import AuditAction
from accounts.services import audit_record
from complaints import pii
from voc.exports import FORMATS

from . import regulator_export
from .forms import ResultsPeriodForm, TransferUploadForm
from .models import RegulatorRow
from .regulator_file import FileProblem
from .regulator_rows import problem_message
from .selectors import (
    may_export_regulator_results,
    may_import_regulator_transfers,
    regulator_batches_for,
    regulator_cases_for,
)
from .services.regulator import (
    regulator_batch_import,
    regulator_batch_preview,
    regulator_error_report_logged,
    regulator_row_values,
)

Outcome = RegulatorRow.Outcome
WITH_DATA = (Outcome.NEW, Outcome.ERROR, Outcome.FAILED)
NEEDS_FIXING = (Outcome.ERROR, Outcome.FAILED)


def importer_view(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not may_import_regulator_transfers(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Http404
    return fmt


@importer_view
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    form = TransferUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload_file = form.cleaned_data["file"]
            try:
                batch = regulator_batch_preview(actor=request.user, filename=upload_file.name, data=upload_file.read())
            except FileProblem as problem:
                form.add_error("file", problem_message(problem))
            else:
                return redirect("integrations:regulator_batch", pk=batch.pk)
        status = 400
    batches = regulator_batches_for(request.user)[:20]
    return render(request, "integrations/regulator_upload.html", {"form": form, "batches": batches}, status=status)


@importer_view
@require_GET
def template(request: HttpRequest, fmt: str) -> HttpResponse:
    return regulator_export.template_response(_format(fmt))


def _display(row: RegulatorRow) -> dict:
    """What the preview shows of a row: masked, as every page shows customers."""
    case = row.complaint
    if case is not None and row.outcome not in WITH_DATA:  # the row's own copy is gone: the case's
        return {"row": row, "name": case.customer.salutation if case.customer else "", "content": case.summary}
    values, _problems = regulator_row_values(row) if row.outcome in WITH_DATA else ({}, {})
    name = values.get("customer_name", "").strip()
    content = " ".join((values.get("summary") or values.get("content") or "").split())
    return {
        "row": row,
        "name": f"{name[:1]}{'*' * min(max(len(name) - 1, 1), 3)}" if name else "",
        "content": pii.mask_text(content[:80]) + ("…" if len(content) > 80 else ""),
    }


@importer_view
@require_GET
def batch(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(regulator_batches_for(request.user), pk=pk)
    rows = list(found.rows.select_related("complaint__customer"))
    counts = Counter(r.outcome for r in rows)
    context = {
        "batch": found,
        "rows": [_display(r) for r in rows],
        "counts": [(label, counts[value], value) for value, label in Outcome.choices if counts[value]],
        "to_import": counts[Outcome.NEW],
        "to_fix": sum(counts[o] for o in NEEDS_FIXING),
    }
    return render(request, "integrations/regulator_batch.html", context)


@importer_view
@require_POST
def batch_import(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(regulator_batches_for(request.user), pk=pk)
    done = regulator_batch_import(actor=request.user, batch=found)
    if not done:
        messages.info(request, _("没有待导入的行。"))
    else:
        messages.success(
            request,
            _("导入完成：新建 %(created)d 件，已存在跳过 %(skipped)d 件，失败 %(failed)d 件。")
            % {
                "created": done.get(Outcome.CREATED, 0),
                "skipped": done.get(Outcome.SKIPPED, 0),
                "failed": done.get(Outcome.FAILED, 0),
            },
        )
    return redirect("integrations:regulator_batch", pk=found.pk)


@importer_view
@require_GET
def error_report(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The rows to fix, as typed (customer numbers included, for the officer who corrects and
    uploads them again: an unmasking role, and each download is audit-logged)."""
    fmt = _format(fmt)
    found = get_object_or_404(regulator_batches_for(request.user), pk=pk)
    rows = list(found.rows.filter(outcome__in=NEEDS_FIXING))
    table = regulator_export.error_rows(found, rows, regulator_row_values)
    regulator_error_report_logged(actor=request.user, batch=found, fmt=fmt, rows=len(table))
    return regulator_export.error_report_response(fmt, found, table)


def _exporter(request: HttpRequest) -> None:
    if not may_export_regulator_results(request.user):
        raise Http404


@login_required
@require_GET
def results(request: HttpRequest) -> HttpResponse:
    _exporter(request)
    form = ResultsPeriodForm(request.GET)
    valid = form.is_valid()  # no dates: this month so far
    count = regulator_cases_for(request.user, *form.period()).count() if valid else None
    context = {"form": form, "count": count}
    if valid:
        start, end = form.period()
        context["query"] = f"date_from={start}&date_to={end}"
    return render(request, "integrations/regulator_results.html", context, status=200 if valid else 400)


@login_required
@require_GET
def results_export(request: HttpRequest, fmt: str) -> HttpResponse:
    _exporter(request)
    fmt = _format(fmt)
    form = ResultsPeriodForm(request.GET)
    if not form.is_valid():
        text = "\n".join(str(m) for ms in form.errors.values() for m in ms)
        return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")
    start, end = form.period()
    qs = regulator_cases_for(request.user, start, end)
    audit_record(
        actor=request.user,
        action=AuditAction.REGULATOR_EXPORT,
        object_type="integrations.regulator_results",
        object_id=f"{start}~{end}",
        format=fmt,
        date_from=str(start),
        date_to=str(end),
    )
    return regulator_export.results_response(fmt, f"regulator-results-{start}-{end}", qs)
