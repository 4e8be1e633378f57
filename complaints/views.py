"""Pages: agent intake, case detail, list/search, public web form. Thin: parse, call, render."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import can_reveal_mobile, can_unmask, org_visible_to

from . import list_selectors, selectors
from .contact_forms import ContactPreferenceForm
from .cursor import decode as decode_cursor
from .customer_selectors import contact_editor
from .forms import FilterForm, IntakeForm, PublicComplaintForm
from .intake_sources import IntakeSource, initial_of, intake_key_of, intake_sources_for
from .list_actions import bulk_choices
from .models import Complaint
from .panels import render_case_panels
from .services import (
    CustomerInput,
    complaint_link_repeat,
    complaint_register,
    customer_contact_set,
    customer_lookup_for_intake,
    customer_reveal,
)
from .services.intake import may_register
from .taxonomy_selectors import taxonomy_rows
from .throttle import public_submit_allowed


def _apply_errors(form, exc: ValidationError) -> None:
    for name, msgs in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, msgs)


@sensitive_post_parameters("mobile", "id_number", "card_number")
@login_required
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    """One screen for an agent on a call. The form token makes a double submit register one case."""
    if not may_register(request.user):
        raise Http404
    sources = intake_sources_for(request)  # a call, a customer's mail (their apps contribute)
    form = IntakeForm(request.POST or None, user=request.user, initial=initial_of(sources))
    if request.method == "POST" and form.is_valid():
        repeat_of = None
        if form.cleaned_data["repeat_of"]:
            repeat_of = selectors.complaints_for(request.user).filter(reference=form.cleaned_data["repeat_of"]).first()
        try:
            case = complaint_register(
                actor=request.user,
                # A source's key (a mail) registers it once, whoever sends its form and however often.
                intake_key=intake_key_of(sources) or f"form:{request.user.pk}:{form.cleaned_data['form_token']}",
                repeat_of=repeat_of,
                **form.service_kwargs(),
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            if case.intake_replayed:
                messages.warning(request, _("该表单已提交过，未重复登记：%(ref)s") % {"ref": case.reference})
            else:
                messages.success(request, _("已登记投诉 %(ref)s") % {"ref": case.reference})
            for source in sources:
                _link_source(request, source, case)
            if not org_visible_to(request.user, case.responsible_org):
                # Routed outside the registrant's scope (e.g. a branch desk logging a head-office
                # case): the message carries the reference; the case page would be a 404.
                return redirect("complaints:intake")
            return redirect("workflow:case", pk=case.pk)
    status = 422 if form.is_bound else 200
    context = {
        "form": form,
        "recent": selectors.recent_codes_for(request.user),
        "sources": [(s, render_to_string(s.template, s.context, request=request)) for s in sources],
    }
    if form.is_bound:
        if "form_token" in form.errors:
            form.data = form.data.copy()
            form.data["form_token"] = uuid.uuid4().hex  # a fresh token so the corrected form can be sent
        # Nothing the agent saw is lost: the customer panel, the repeat warning and the codes'
        # names are rendered again here, not left to the page's scripts.
        customer, error = _lookup_customer(request)
        form.show_customer(customer)
        context |= {
            "lookup": _customer_context(request, customer, error),
            "earlier": _repeat_earlier(request.user, customer, request.POST.get("code_b", "")),
            "code_names": _code_names(form),
        }
    return render(request, "complaints/intake.html", context, status=status)


def _code_names(form: IntakeForm) -> dict[str, str]:
    """The chosen codes' names (code_a/b/c -> name), for codes that exist on their axis."""
    rows = {row.code: row for row in taxonomy_rows()}
    names = {}
    for axis in "ABC":
        field = f"code_{axis.lower()}"
        row = rows.get(str(form.data.get(field, "")).strip().upper())
        if row is not None and row.axis == axis:
            names[field] = row.name_zh
    return names


def _customer_context(request: HttpRequest, customer, error: str | None) -> dict:
    """What the customer panel shows: the customer (masked), earlier cases the user may see."""
    return {
        "customer": customer,
        "cases": selectors.customer_cases_for(request.user, customer) if customer else [],
        "error": error,
        # a customer of another branch: their branch is not this user's business
        "show_home_org": bool(customer and org_visible_to(request.user, customer.home_org)),
        "linked": request.POST.get("repeat_of", ""),
    }


def _repeat_earlier(user, customer, code_b: str):
    """The earlier case (visible to ``user``) this one would repeat: same customer and B code."""
    code_b = code_b.strip().upper()
    if not (customer and code_b):
        return None
    from django.utils import timezone

    from .models import ClassificationCode

    code = ClassificationCode.objects.filter(code=code_b).first()
    if code is None:
        return None
    earlier = selectors.repeat_candidate(customer=customer, code_b_id=code.id, received_at=timezone.now())
    if earlier and not selectors.complaints_for(user).filter(pk=earlier.pk).exists():
        return None
    return earlier


def _link_source(request: HttpRequest, source: IntakeSource, case) -> None:
    if source.link is None:
        return
    try:
        source.link(request.user, case)
    except ValidationError as exc:
        # The case is registered either way; say why the source could not be attached.
        messages.warning(request, "; ".join(exc.messages))


def _lookup_customer(request):
    try:
        return customer_lookup_for_intake(
            actor=request.user, mobile=request.POST.get("mobile", ""), id_number=request.POST.get("id_number", "")
        ), ""
    except ValueError as exc:
        return None, str(exc)


# The number lookups are POSTs: a number in a query string lands in access logs and histories.
@sensitive_post_parameters("mobile", "id_number")
@login_required
@require_POST
def intake_customer(request: HttpRequest) -> HttpResponse:
    """htmx: the customer behind a mobile/ID number, masked, with earlier cases the agent may see."""
    if not may_register(request.user):
        raise Http404
    customer, error = _lookup_customer(request)
    # The name and title fields come back too (out of band): prefilled for a returning customer.
    title = request.POST.get("customer_title", "")
    form = IntakeForm(user=request.user, initial={"customer_name": request.POST.get("customer_name", "")})
    if title:
        form.initial["customer_title"] = title
    form.show_customer(customer)
    return render(
        request, "complaints/_customer.html", _customer_context(request, customer, error) | {"form": form, "oob": True}
    )


@sensitive_post_parameters("mobile", "id_number")
@login_required
@require_POST
def intake_repeat_check(request: HttpRequest) -> HttpResponse:
    """htmx: warn when this customer already has a case with this B code within the window."""
    if not may_register(request.user):
        raise Http404
    try:  # reveals only cases the user may see, so not logged as a customer lookup
        customer = selectors.customer_lookup(
            mobile=request.POST.get("mobile", ""), id_number=request.POST.get("id_number", "")
        )
    except ValueError:
        customer = None
    earlier = _repeat_earlier(request.user, customer, request.POST.get("code_b", ""))
    return render(request, "complaints/_repeat_warning.html", {"earlier": earlier})


def case_page(request: HttpRequest, case: Complaint, *, status: int = 200, **hints) -> HttpResponse:
    """The one case page: the case, its customer and repeats, and every app's panels.

    Served at ``workflow:case`` (the URL inboxes, notifications and e-mails link to) for a case
    the caller has already scoped to the user; ``hints`` go to the panels (``complaints.panels``).
    """
    user = request.user
    history = bool(case.customer_id) and not case.repeat_of_id and may_register(user)
    repeats, others = selectors.case_relatives_for(user, case, history=history)
    panels, stylesheets = render_case_panels(request, case, **hints)
    return render(
        request,
        "complaints/detail.html",
        {
            "case": case,
            "repeat_of": selectors.visible_repeat_refs(user, [case]).get(case.repeat_of_id),
            "repeats": repeats,
            "link_candidates": others,
            "panels": panels,
            "panel_stylesheets": stylesheets,
            "can_unmask": can_unmask(user),
            "can_reveal": can_reveal_mobile(user, case),
            "can_edit_contact": contact_editor(user),
        },
        status=status,
    )


@login_required
@require_GET
def customer_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One customer for staff who may see them (客户视图): their cases in the user's scope with
    status, deadlines, codes, outcome and redress; the repeat pattern; how they complained and
    were told; the other apps' panels (calls). A customer none of whose cases the user may see
    is a 404 (``customer_selectors``). Numbers masked; the reveal is the case's audited one."""
    from .customer_selectors import customer_view_for

    try:  # ?cases=<cursor>: the page of older cases (a customer with more than fit on one page)
        before = decode_cursor(request.GET.get("cases"))
    except ValueError as exc:
        messages.error(request, str(exc))
        before = None
    return _customer_page(request, customer_view_for(request.user, pk, before=before))


def _customer_page(request: HttpRequest, view, *, contact_form=None, status: int = 200) -> HttpResponse:
    from .panels import render_customer_panels

    user = request.user
    panels, stylesheets = render_customer_panels(request, view)
    editor = contact_editor(user)
    if editor and contact_form is None:
        contact_form = ContactPreferenceForm.for_customer(view.customer, next_url=request.GET.get("next", ""))
    return render(
        request,
        "complaints/customer.html",
        {
            "view": view,
            "customer": view.customer,
            "panels": panels,
            "panel_stylesheets": stylesheets,
            "can_unmask": can_unmask(user),
            "show_home_org": org_visible_to(user, view.customer.home_org),
            "contact_form": contact_form if editor else None,
        },
        status=status,
    )


@login_required
@require_POST
def customer_contact(request: HttpRequest, pk: int) -> HttpResponse:
    """Store the customer's preferred channel and time (联系偏好); back to where the user came
    from (the case page) or to the customer page. A customer none of whose cases the user sees:
    404, as the page (asked first: never a 403 that tells they exist); not a contact editor: 403."""
    from .customer_selectors import customer_view_for

    view = customer_view_for(request.user, pk)
    if not contact_editor(request.user):
        raise PermissionDenied
    form = ContactPreferenceForm(request.POST)
    if form.is_valid():
        try:
            customer_contact_set(
                actor=request.user,
                customer=view.customer,
                channel=form.cleaned_data["contact_channel"],
                time=form.cleaned_data["contact_time"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已保存客户的联系偏好"))
            back = form.cleaned_data["next"]
            if back and url_has_allowed_host_and_scheme(
                back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                return redirect(back)
            return redirect(f"{reverse('complaints:customer', args=[pk])}#customer-contact")
    return _customer_page(request, view, contact_form=form, status=400)


@login_required
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    """The old address by reference: a permanent redirect to the one case page (query string kept).

    Scoped like the page: a case the user may not see is a 404 here too, so the redirect never
    tells whether a reference exists.
    """
    url = reverse("workflow:case", args=[selectors.case_id_for(request.user, reference)])
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)


@login_required
@require_POST
def link_repeat(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.complaint_get_for(request.user, reference)
    earlier = selectors.complaints_for(request.user).filter(reference=request.POST.get("repeat_of", "")).first()
    if earlier is None:
        messages.error(request, _("找不到要关联的投诉"))
    else:
        try:
            complaint_link_repeat(actor=request.user, complaint=case, repeat_of=earlier)
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("已关联为 %(ref)s 的重复投诉") % {"ref": earlier.reference})
    return redirect("workflow:case", pk=case.pk)


@login_required
@require_POST
def reveal_customer(request: HttpRequest, reference: str) -> HttpResponse:
    """htmx: full numbers for UNMASK_ROLES, the phone number for the handler the case is assigned
    to and the branch manager over it (``can_reveal_mobile``); each reveal is audit-logged by the service."""
    case = selectors.complaint_get_for(request.user, reference)
    if case.customer is None or not can_reveal_mobile(request.user, case):
        raise Http404
    shown = customer_reveal(actor=request.user, customer=case.customer, complaint=case)
    return render(request, "complaints/_revealed.html", {"shown": shown})


@sensitive_post_parameters("q", "customer_name")
@login_required
@require_http_methods(["GET", "POST"])
def complaint_list(request: HttpRequest) -> HttpResponse:
    """Filters + search with keyset pages, sortable, with a capped count and saved views.

    The search form POSTs and is answered with a redirect to the bookmarkable GET URL, so a
    phone or ID number, or a customer's name, typed into it never reaches a URL, access log or
    browser history (FilterForm.url_query). An old link that carries one is redirected the same way.
    """
    data = request.POST if request.method == "POST" else request.GET
    # The plain list (an empty GET) is read as an empty bound form at once: one form built, not two (issue 12).
    form = FilterForm(data if data or request.method == "GET" else None, user=request.user)
    if form.is_bound and form.is_valid() and (request.method == "POST" or form.needs_clean_url()):
        query = form.url_query(keep_cursor=request.method == "GET")
        return redirect(f"{reverse('complaints:list')}?{query}" if query else reverse("complaints:list"))
    page, error = None, ""
    if not form.is_bound or form.is_valid():
        if not form.is_bound:
            form = FilterForm({}, user=request.user)
            form.is_valid()
        try:
            page = list_selectors.complaint_page_for(
                request.user,
                form.filters(),
                cursor=form.cleaned_data.get("cursor") or None,
                limit=25,
                sort=form.sort_name(),
            )
        except ValueError as exc:
            error = str(exc)
    query = request.GET.copy() if request.method == "GET" else QueryDict(mutable=True)
    query.pop("cursor", None)
    unsorted = query.copy()
    unsorted.pop("sort", None)
    view_query = form.url_query(keep_customer=False) if page is not None else ""
    return render(
        request,
        "complaints/list.html",
        {
            "form": form,
            "page": page,
            "error": error,
            "query": query.urlencode(),
            "unsorted_query": unsorted.urlencode(),
            "sort": form.sort_name() if page is not None else list_selectors.DEFAULT_SORT,
            "has_cursor": bool(request.GET.get("cursor")),
            "count_url": f"{reverse('complaints:list_count')}?{query.urlencode()}" if page is not None else "",
            "saved_views": selectors.saved_views_for(request.user),
            "view_query": view_query,
            "bulk": bulk_choices(request.user),
            "list_url": request.get_full_path(),
        },
        status=200 if page is not None else 400,
    )


@login_required
@require_GET
def complaint_list_count(request: HttpRequest) -> HttpResponse:
    """How many cases the list with these filters holds (its ``#result-count``), asked for by
    htmx once the list's rows are shown, so the page never waits for the count. Same form,
    selection and scope as the list; exact up to the cap, or an estimate labelled as one."""
    form = FilterForm(request.GET, user=request.user)
    if not form.is_valid():
        return render(request, "complaints/_list_count.html", {"count_label": ""}, status=400)
    result = list_selectors.complaint_count_for(request.user, form.filters())
    return render(request, "complaints/_list_count.html", {"count_label": _count_label(result), "result": result})


def _count_label(result: list_selectors.ResultCount) -> str:
    """ "1,234", or "10,000+" above the cap (the count stops there); an estimate to 2 figures."""
    return f"{list_selectors.COUNT_CAP:,}+" if result.capped else f"{result.n:,}"


@login_required
@require_POST
def saved_view_save(request: HttpRequest) -> HttpResponse:
    """Save the list's current filters and order under a name, for this user only."""
    from .services.saved_views import saved_view_save as save

    try:
        view = save(user=request.user, name=request.POST.get("name", ""), query=request.POST.get("query", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        query = request.POST.get("query", "")
        return redirect(f"{reverse('complaints:list')}?{query}" if query else reverse("complaints:list"))
    messages.success(request, _("已保存常用查询「%(name)s」") % {"name": view.name})
    return redirect(f"{reverse('complaints:list')}?{view.query}" if view.query else reverse("complaints:list"))


@login_required
@require_POST
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete one of the user's own saved views; anyone else's is a 404."""
    from .services.saved_views import saved_view_delete as delete

    if not delete(user=request.user, view_id=pk):
        raise Http404
    messages.success(request, _("已删除常用查询"))
    return redirect("complaints:list")


# --- public web form ----------------------------------------------------------------------


def _product_choices():
    leaves = [r for r in taxonomy_rows() if r.axis == "B" and r.is_leaf and r.is_active]
    return [(r.code, r.name_zh) for r in leaves]


@sensitive_post_parameters("mobile")
@require_http_methods(["GET", "POST"])
def public_form(request: HttpRequest) -> HttpResponse:
    """No account needed; throttled per IP; answers only with a reference number."""
    form = PublicComplaintForm(request.POST or None, product_choices=_product_choices())
    if request.method == "POST":
        if not public_submit_allowed(request):
            return render(request, "complaints/public_form.html", {"form": form, "throttled": True}, status=429)
        if form.is_valid() and not form.cleaned_data["website"]:  # the hidden field catches bots
            d = form.cleaned_data
            try:
                case = complaint_register(
                    actor=None,
                    intake_key=f"public:{d['form_token']}",
                    channel=Complaint.Channel.WEB,
                    code_a="A99",
                    code_b=d["product"],
                    code_c="C99",
                    summary=d["summary"],
                    details=d["details"],
                    demand=d["demand"],
                    customer=CustomerInput(name=d["name"], title=d["title"], mobile=d["mobile"]),
                )
            except ValidationError as exc:
                for name, msgs in exc.message_dict.items():
                    target = {"customer_name": "name", "code_b": "product", "customer_title": "title"}.get(name, name)
                    form.add_error(target if target in form.fields else None, msgs)
            else:
                request.session["public_reference"] = case.reference
                return redirect("complaints:public_thanks")
        return render(request, "complaints/public_form.html", {"form": form}, status=422)
    return render(request, "complaints/public_form.html", {"form": form})


@require_GET
def public_thanks(request: HttpRequest) -> HttpResponse:
    reference = request.session.get("public_reference")
    if not reference:
        return redirect("complaints:public_form")
    return render(request, "complaints/public_thanks.html", {"reference": reference})
