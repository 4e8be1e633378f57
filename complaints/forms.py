"""Forms parse input; the rules live in complaints.services (errors map back onto fields)."""

from __future__ import annotations

import contextlib
import re
import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, User
from accounts.selectors import orgs_visible_to
from voc.validators import plausible_date

from . import crypto, list_selectors, pii, selectors
from .list_selectors import ComplaintFilters
from .models import Complaint, Customer, CustomerCard
from .selectors import FLAG_FIELDS
from .services import CustomerInput
from .states import CaseState
from .taxonomy_selectors import code_search, taxonomy_rows
from .worklist import BUCKET_LABELS

REQUIRED = {"required": _("此项必填")}


def _code_input(axis: str, placeholder: str) -> forms.TextInput:
    """A code field with the shared search-as-you-type picker (static/js/code-picker.js),
    offering active leaf codes of ``axis``; the service still checks what is sent."""
    url = format_lazy("{}?axis={}&selectable=1&limit=12", reverse_lazy("complaints:taxonomy_search"), axis)
    return forms.TextInput(
        attrs={
            "data-code-picker": axis,
            "data-picker-url": url,
            "placeholder": placeholder,
            "autocomplete": "off",
            "role": "combobox",
            "aria-autocomplete": "list",
        }
    )


class IntakeForm(forms.Form):
    """The agent's one-screen form. Field names are the service's error keys."""

    form_token = forms.CharField(widget=forms.HiddenInput, error_messages=REQUIRED)
    channel = forms.ChoiceField(label=_("受理渠道"), choices=Complaint.Channel.choices, initial="hotline")
    regulator_reference = forms.CharField(label=_("监管转办编号"), required=False, max_length=64)
    regulator_received_on = forms.DateField(
        validators=[plausible_date],
        label=_("监管受理日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    mobile = forms.CharField(
        label=_("手机号"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autofocus": True}),
    )
    id_number = forms.CharField(label=_("证件号"), required=False, max_length=30)
    # Required for a new customer only: a returning one (found by number) keeps the name on file.
    customer_name = forms.CharField(label=_("客户姓名"), required=False, max_length=50)
    customer_title = forms.ChoiceField(
        label=_("称谓"), choices=Customer.Title.choices, initial=Customer.Title.UNKNOWN, widget=forms.RadioSelect
    )
    home_org = forms.ModelChoiceField(label=_("开户机构"), queryset=Organisation.objects.none(), required=False)
    card_number = forms.CharField(
        label=_("卡号（仅保存前6后4位）"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    card_kind = forms.ChoiceField(label=_("卡片类型"), choices=CustomerCard.Kind.choices, initial="credit")
    card_issuing_org = forms.ModelChoiceField(label=_("发卡机构"), queryset=Organisation.objects.none(), required=False)
    code_a = forms.CharField(
        label=_("A 渠道代码"), max_length=12, error_messages=REQUIRED, widget=_code_input("A", "A0302 或 热线")
    )
    code_b = forms.CharField(
        label=_("B 业务代码"), max_length=12, error_messages=REQUIRED, widget=_code_input("B", "B030202 或 年费")
    )
    code_c = forms.CharField(
        label=_("C 原因代码"), max_length=12, error_messages=REQUIRED, widget=_code_input("C", "C03 或 收费")
    )
    summary = forms.CharField(
        label=_("投诉摘要"), error_messages=REQUIRED, widget=forms.TextInput(attrs={"maxlength": 200})
    )
    details = forms.CharField(
        label=_("详情"), required=False, widget=forms.Textarea(attrs={"rows": 5, "maxlength": 5000})
    )
    demand = forms.ChoiceField(label=_("客户诉求"), choices=Complaint.Demand.choices, initial="explanation")
    disputed_amount = forms.DecimalField(
        label=_("争议金额（元）"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    received_at = forms.DateTimeField(
        validators=[plausible_date],
        label=_("收到时间（默认现在）"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    late_reason = forms.CharField(
        label=_("补录原因（收到时间早于现在超过 1 天时必填）"), required=False, max_length=500
    )
    is_elderly = forms.BooleanField(label=_("老年客户"), required=False)
    is_group_impact = forms.BooleanField(label=_("群体性/监管影响"), required=False)
    has_media_risk = forms.BooleanField(label=_("舆情风险"), required=False)
    repeat_of = forms.CharField(required=False, widget=forms.HiddenInput)
    involved_staff = forms.ModelMultipleChoiceField(
        label=_("涉及员工（回避）"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
        help_text=_("客户投诉所涉及的本行员工，可多选"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        orgs = orgs_visible_to(user).order_by("path")
        self.fields["home_org"].queryset = orgs
        self.fields["card_issuing_org"].queryset = orgs
        self.fields["involved_staff"].queryset = (
            User.objects.people()  # staff only: an integration client's service user is not a person
            .filter(is_active=True, org__isnull=False)
            .select_related("org")
            .order_by("org__path", "username")
        )
        self.fields["involved_staff"].label_from_instance = lambda u: f"{u} · {u.org.name_zh}"
        if not self.is_bound:
            self.initial["form_token"] = uuid.uuid4().hex

    def clean_form_token(self) -> str:
        token = self.cleaned_data["form_token"]
        try:
            return uuid.UUID(token).hex
        except ValueError:
            raise ValidationError(_("表单已失效，请刷新页面")) from None

    def clean(self):
        data = super().clean()
        name = " ".join(data.get("customer_name", "").split())
        if not name and "customer_name" not in self.errors and self.known_customer() is None:
            self.add_error("customer_name", REQUIRED["required"])
        return data

    def known_customer(self) -> Customer | None:
        """The customer on file behind the typed mobile/ID number (bound form), else None.

        A malformed number finds nobody; the service reports it on its field."""
        if not hasattr(self, "_known"):
            self._known = None
            if self.is_bound:
                with contextlib.suppress(ValueError):
                    self._known = selectors.customer_lookup(
                        mobile=self.data.get("mobile", ""), id_number=self.data.get("id_number", "")
                    )
        return self._known

    def show_customer(self, customer: Customer | None) -> None:
        """Prefill for a returning customer: the title on file and the name field showing how
        they are addressed (the full name is not shown to whoever types a number: the lookup
        reaches the whole bank's customers); both stay editable."""
        if customer is None:
            return
        self.fields["customer_name"].widget.attrs["placeholder"] = _("%(salutation)s（已登记，可不填）") % {
            "salutation": customer.salutation
        }
        chosen = self.initial.get("customer_title") or Customer.Title.UNKNOWN
        if not self.is_bound and chosen == Customer.Title.UNKNOWN:  # a title the agent chose is kept
            self.initial["customer_title"] = customer.title

    def customer_input(self) -> CustomerInput:
        d = self.cleaned_data
        return CustomerInput(
            name=d["customer_name"],
            title=d["customer_title"],
            mobile=d["mobile"],
            id_number=d["id_number"],
            home_org=d["home_org"],
            card_number=d["card_number"],
            card_kind=d["card_kind"],
            card_issuing_org=d["card_issuing_org"],
        )

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        keys = ("channel", "regulator_reference", "regulator_received_on", "code_a", "code_b", "code_c", "summary")
        keys += (
            "details",
            "demand",
            "disputed_amount",
            "received_at",
            "late_reason",
            "is_elderly",
            "is_group_impact",
            "has_media_risk",
        )
        return {k: d[k] for k in keys} | {
            "customer": self.customer_input(),
            "involved_staff": list(d.get("involved_staff") or ()),
        }


class PublicComplaintForm(forms.Form):
    """The public web form: no codes to know, only a product area; nothing internal shown back."""

    name = forms.CharField(label=_("您的姓名"), max_length=50, error_messages=REQUIRED)
    title = forms.ChoiceField(
        label=_("称谓"), choices=Customer.Title.choices, initial="unknown", widget=forms.RadioSelect
    )
    mobile = forms.CharField(label=_("手机号"), max_length=20, error_messages=REQUIRED)
    product = forms.ChoiceField(label=_("涉及业务"))
    summary = forms.CharField(label=_("问题简述"), max_length=200, error_messages=REQUIRED)
    details = forms.CharField(
        label=_("详细经过"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 6})
    )
    demand = forms.ChoiceField(label=_("您的诉求"), choices=Complaint.Demand.choices, initial="explanation")
    form_token = forms.CharField(widget=forms.HiddenInput, error_messages=REQUIRED)
    website = forms.CharField(required=False, widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))

    def __init__(self, *args, product_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = product_choices
        if not self.is_bound:
            self.initial["form_token"] = uuid.uuid4().hex

    def clean_form_token(self) -> str:
        try:
            return uuid.UUID(self.cleaned_data["form_token"]).hex
        except ValueError:
            raise ValidationError(_("表单已失效，请刷新页面")) from None


class FilterForm(forms.Form):
    """List/search filters, by what people see: a status by its name (已办结), an organisation
    by name (a select of the user's visible orgs), a B/C code or words as at intake (年费 finds
    B030202), a customer's full name, phone or ID number. Invalid values are reported, never a 500;
    words that match no code find nothing and say so (never a 400).

    The list is read with GET (bookmarkable) and searched with a POST answered by a redirect
    to :meth:`url_query`, in which no phone, ID or card number, nor a customer's name, appears:
    a full mobile or ID number in ``q``, or a name, becomes ``customer``, an expiring encrypted
    token (complaints.crypto), and any other number is masked the way stored text is."""

    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    customer_name = forms.CharField(label=_("客户姓名"), required=False, max_length=50)
    status = forms.CharField(label=_("状态"), required=False, max_length=30)
    code_a = forms.CharField(label=_("A 渠道"), required=False, max_length=40)
    code_b = forms.CharField(label=_("B 业务"), required=False, max_length=40)
    code_c = forms.CharField(label=_("C 原因"), required=False, max_length=40)
    org = forms.CharField(label=_("机构"), required=False, max_length=100)
    channel = forms.ChoiceField(label=_("渠道"), choices=[("", "—"), *Complaint.Channel.choices], required=False)
    flags = forms.MultipleChoiceField(
        label=_("标记"),
        required=False,
        choices=[(f, Complaint._meta.get_field(f).verbose_name) for f in FLAG_FIELDS],
        widget=forms.CheckboxSelectMultiple,
    )
    received_from = forms.DateField(
        validators=[plausible_date],
        label=_("收到日期从"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    received_to = forms.DateField(
        validators=[plausible_date], label=_("至"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    # The inbox tiles' selections (a tile's count links here with its bucket).
    bucket = forms.ChoiceField(label=_("待办"), required=False, choices=[("", "—"), *BUCKET_LABELS.items()])
    sort = forms.ChoiceField(label=_("排序"), required=False, choices=[("", "")])
    cursor = forms.CharField(required=False, widget=forms.HiddenInput)
    customer = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)

    SORT_CHOICES = (
        ("received", _("收到时间（新→旧）")),
        ("due", _("处理时限（近→远）")),
        ("updated", _("最近更新")),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["sort"].choices = self.SORT_CHOICES
        self.org_found: Organisation | None = None
        self.code_found: dict[str, object] = {}  # axis -> the code row words were resolved to
        self.unmatched: list[str] = []  # what matched nothing (shown; the list is then empty)

    # --- choices the page offers ------------------------------------------------------------

    @staticmethod
    def status_choices() -> list[tuple[str, str]]:
        return [("", _("全部")), (list_selectors.STATUS_OPEN, _("未办结（全部在办）")), *CaseState.choices]

    MORE = ("customer_name", "code_a", "code_c", "channel", "bucket", "received_from", "received_to", "sort", "flags")

    def more_in_use(self) -> bool:
        """Whether a filter behind "more" is set (then that section opens)."""
        data = getattr(self, "cleaned_data", {})
        return any(data.get(name) for name in self.MORE)

    def org_choices(self) -> list[Organisation]:
        """The organisations this user may filter by (their visible subtree), by path."""
        return list(orgs_visible_to(self.user).order_by("path").only("code", "name_zh", "path", "kind"))

    # --- cleaning ---------------------------------------------------------------------------

    def clean_status(self) -> str:
        """A state's code, its name in either language (已办结, Closed), or the "open" group."""
        value = self.cleaned_data["status"].strip()
        if not value or value == list_selectors.STATUS_OPEN:
            return value
        for code, label in CaseState.choices:
            names = {code}
            for lang in ("zh-hans", "en"):
                with translation.override(lang):
                    names.add(str(label).lower())
            if value.lower() in names:
                return code
        raise ValidationError(_("未知状态：%(status)s") % {"status": value})

    def _clean_code(self, axis: str) -> str:
        raw = self.cleaned_data[f"code_{axis.lower()}"].strip()
        if not raw:
            return raw
        if re.fullmatch(rf"[{axis}{axis.lower()}]\d{{0,6}}", raw):  # a code or code prefix, as typed
            row = next((r for r in taxonomy_rows() if r.code == raw.upper()), None)
            if row is not None:
                self.code_found[axis] = row  # its name is shown with the results
            return raw
        hits = code_search(raw, axis=axis, limit=1)  # words, as the intake picker reads them
        if not hits:
            self.unmatched.append(_("找不到与“%(words)s”相符的%(axis)s代码") % {"words": raw, "axis": axis})
            return raw
        self.code_found[axis] = hits[0]
        return hits[0].code

    def clean_code_a(self) -> str:
        return self._clean_code("A")

    def clean_code_b(self) -> str:
        return self._clean_code("B")

    def clean_code_c(self) -> str:
        return self._clean_code("C")

    def clean_org(self) -> str:
        """An organisation code or name (中文 or English) among the user's visible ones."""
        value = self.cleaned_data["org"].strip()
        if not value:
            return ""
        visible = orgs_visible_to(self.user)
        org = (
            visible.filter(code__iexact=value).first()
            or visible.filter(name_zh=value).first()
            or visible.filter(name_en__iexact=value).first()
        )
        if org is None:
            self.unmatched.append(_("找不到机构“%(org)s”") % {"org": value})
            return value
        self.org_found = org
        return org.code

    def clean_customer(self) -> str:
        """What the token stands for ("" without one): a number, or ``name:`` and a name."""
        token = self.cleaned_data["customer"]
        if not token:
            return ""
        value = crypto.search_token_value(token, max_age=settings.SESSION_COOKIE_AGE)
        if value is None:
            raise ValidationError(_("号码查询已过期，请重新输入号码"))
        return value

    def _searched_customer(self) -> tuple[str, str]:
        """(number, name) this search looks for: from the token, ``q`` or ``customer_name``."""
        d = self.cleaned_data
        value = d.get("customer", "")
        number, name = ("", value[len(NAME_PREFIX) :]) if value.startswith(NAME_PREFIX) else (value, "")
        q = d.get("q", "").strip()
        if q and selectors.full_number(q):
            number = selectors.full_number(q)
        typed = " ".join(d.get("customer_name", "").split())
        return number, typed or name

    def number_masked(self) -> str:
        """The searched number as staff may see it (138****5678)."""
        if not hasattr(self, "cleaned_data"):
            return ""
        number, _name = self._searched_customer()
        for mask in (pii.mask_mobile, pii.mask_id_number):
            try:
                return mask(number)
            except ValueError:
                continue
        return ""

    def name_searched(self) -> str:
        return self._searched_customer()[1] if hasattr(self, "cleaned_data") else ""

    def needs_clean_url(self) -> bool:
        """True when the query string this form was read from carries a number or a name."""
        q = self.cleaned_data.get("q", "")
        if self.cleaned_data.get("customer_name"):
            return True
        return bool(q) and (selectors.full_number(q) is not None or pii.mask_text(q) != q)

    def url_query(self, *, keep_cursor: bool = False, keep_customer: bool = True) -> str:
        """The query string for these filters, with no phone, ID or card number and no name in it."""
        d = self.cleaned_data
        query = QueryDict(mutable=True)
        number, name = self._searched_customer()
        q = d.get("q", "").strip()
        if q and selectors.full_number(q):
            q = ""
        if keep_customer and (number or name):
            query["customer"] = crypto.search_token(number or NAME_PREFIX + name)
        if q:
            query["q"] = pii.mask_text(q)
        for name_ in ("status", "code_a", "code_b", "code_c", "org", "channel", "bucket"):
            if d.get(name_):
                query[name_] = d[name_]
        query.setlist("flags", d.get("flags", []))
        for name_ in ("received_from", "received_to"):
            if d.get(name_):
                query[name_] = d[name_].isoformat()
        if d.get("sort") and d["sort"] != list_selectors.DEFAULT_SORT:
            query["sort"] = d["sort"]
        if keep_cursor and d.get("cursor"):
            query["cursor"] = d["cursor"]
        return query.urlencode()

    def sort_name(self) -> str:
        return self.cleaned_data.get("sort") or list_selectors.DEFAULT_SORT

    def filters(self) -> ComplaintFilters:
        d = self.cleaned_data
        number, name = self._searched_customer()
        q = d.get("q", "")
        if number and selectors.full_number(q.strip()):
            q = ""
        f = ComplaintFilters(
            status=d.get("status", ""),
            code_a=d.get("code_a", ""),
            code_b=d.get("code_b", ""),
            code_c=d.get("code_c", ""),
            org=self.org_found,
            channel=d.get("channel", ""),
            flags=d.get("flags", []),
            received_from=d.get("received_from"),
            received_to=d.get("received_to"),
            q=q,
            number=number,
            customer_name=name,
            bucket=d.get("bucket", ""),
        )
        f.nothing = bool(self.unmatched)  # words or an org that match nothing: no rows, not all rows
        return f


# A name search's token value starts with this (a number's is the bare number).
NAME_PREFIX = "name:"
