"""Remediation (整改) pages: the board, opening an item from a TOP/rising row, changing status."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.models import Organisation
from accounts.selectors import org_visible_to, orgs_visible_to

from . import selectors, services
from .dimensions import DimensionError
from .forms import ImprovementForm, ImprovementStatusForm, parse_report
from .models import ImprovementItem
from .views import analytics_view


@analytics_view
def board(request: HttpRequest) -> HttpResponse:
    scope = selectors.resolve_scope(request.user, request.GET.get("org"))
    items = list(selectors.improvements_for(request.user, org_ids=scope.org_ids))
    columns = [
        (value, label, [i for i in items if i.status == value]) for value, label in ImprovementItem.Status.choices
    ]
    return render(
        request,
        "analytics/improvements.html",
        {
            "columns": columns,
            "scope": scope,
            "fixed": selectors.fixed_per_quarter(request.user, scope.org_ids),
            "today": timezone.localdate(),
            "can_remediate": services.can_manage_improvements(request.user),
        },
    )


ORG_PICKER_LIMIT = 12


@analytics_view
def improvement_orgs(request: HttpRequest) -> JsonResponse:
    """JSON for the responsible-organisation picker of a remediation item: active organisations
    in the user's scope whose code starts with, or whose name contains, ?q= (the form still
    checks the code it gets)."""
    if not services.can_manage_improvements(request.user):
        raise Http404
    q = request.GET.get("q", "").strip()[:50]
    rows = orgs_visible_to(request.user).filter(is_active=True)
    if q:
        rows = rows.filter(Q(code__istartswith=q) | Q(name_zh__icontains=q) | Q(name_en__icontains=q))
    rows = rows.order_by("path")[:ORG_PICKER_LIMIT]
    english = (get_language() or "").startswith("en")
    return JsonResponse(
        {
            "results": [
                {"code": o.code, "label": f"{o.code} {(o.name_en if english else '') or o.name_zh}"} for o in rows
            ]
        }
    )


def _error_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [f"{m}" for msgs in exc.message_dict.values() for m in msgs]
    return list(exc.messages)


@analytics_view
def improvement_new(request: HttpRequest) -> HttpResponse:
    """Open an item from a report row: the row's codes, period and scope come in the query string;
    the item links the cases behind the row (in the user's scope)."""
    if not services.can_manage_improvements(request.user):
        raise Http404
    params, errors = parse_report(request.GET)
    scope = selectors.resolve_scope(request.user, params.org_code if params else request.GET.get("org"))
    key = request.GET.get("code", "").strip()
    source = request.GET.get("source") if request.GET.get("source") in ImprovementItem.Source.values else "manual"
    case_qs = None
    if params:
        try:
            case_qs = selectors.drilldown_cases(scope, params.period, params.dim if key else None, key) if key else None
        except DimensionError as exc:
            errors.append(str(exc))
    initial = {
        "title": f"{key} {selectors.base.key_name(key)} 整改" if key and not errors else "",
        "owner_org": scope.code or (request.user.org.code if request.user.org else ""),
        "due_date": timezone.localdate() + timezone.timedelta(days=90),
    }
    form = ImprovementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid() and not errors:
        owner = Organisation.objects.filter(code=form.cleaned_data["owner_org"].strip()).first()
        if owner is None or not org_visible_to(request.user, owner):
            form.add_error("owner_org", _("责任机构不存在或不在权限范围内"))
        else:
            try:
                item = services.improvement_create(
                    actor=request.user,
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                    owner_org=owner,
                    due_date=form.cleaned_data["due_date"],
                    codes=key.split("|") if key else [],
                    source=source,
                    period_label=params.period.label if params else "",
                    case_ids=case_qs.values_list("pk", flat=True) if case_qs is not None else (),
                )
            except ValidationError as exc:
                errors.extend(_error_messages(exc))
            else:
                messages.success(request, f"已创建整改事项：{item.title}")
                return redirect("analytics:improvement_detail", pk=item.pk)
    status = 400 if (errors or (request.method == "POST")) else 200
    return render(
        request,
        "analytics/improvement_new.html",
        {
            "form": form,
            "errors": errors,
            "key": key,
            "params": params,
            "case_count": case_qs.count() if case_qs is not None else 0,
            "scope": scope,
        },
        status=status,
    )


@analytics_view
def improvement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.improvement_for(request.user, pk)
    form = ImprovementStatusForm(request.POST or None, initial={"status": item.status})
    errors: list[str] = []
    if request.method == "POST":
        if not services.can_manage_improvements(request.user):
            raise Http404
        if form.is_valid():
            try:
                services.improvement_set_status(
                    actor=request.user, item=item, status=form.cleaned_data["status"], note=form.cleaned_data["note"]
                )
            except ValidationError as exc:
                errors = _error_messages(exc)
            else:
                messages.success(request, "整改状态已更新")
                return redirect("analytics:improvement_detail", pk=item.pk)
    cases = selectors.improvement_cases(request.user, item)
    return render(
        request,
        "analytics/improvement_detail.html",
        {
            "item": item,
            "form": form,
            "errors": errors,
            "cases": cases[:100],
            "case_total": cases.count(),
            "can_remediate": services.can_manage_improvements(request.user),
        },
        status=400 if errors or (request.method == "POST" and not form.is_valid()) else 200,
    )
