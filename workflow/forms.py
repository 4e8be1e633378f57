"""Forms of the case actions: they parse input only; the rules are in the services."""

from __future__ import annotations

from django import forms
from django.forms.models import ModelChoiceIterator
from django.urls import reverse_lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from complaints.models import Complaint
from voc.validators import plausible_date

from .models import DeliveryChannel, InvolvedStaff, Pause, VerificationRequest
from .services.case import REDRESS_TYPES


class ActionForm(forms.Form):
    """Every action form carries the version of the case the page was rendered with."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)
    next = forms.CharField(widget=forms.HiddenInput, required=False)


class ReasonForm(ActionForm):
    reason = forms.CharField(label=_("说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class OneQueryChoices(ModelChoiceIterator):
    """A picker's choices read with one plain SELECT. Django's iterator reads them with
    ``QuerySet.iterator()``, a server-side cursor on PostgreSQL: DECLARE, FETCH and CLOSE, three
    round trips for a few dozen rows on every case page that shows the picker."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():  # a fresh copy: each rendering reads the current rows
            yield self.choice(obj)


class OneQueryModelChoiceField(forms.ModelChoiceField):
    iterator = OneQueryChoices


class RouteForm(ReasonForm):
    org = OneQueryModelChoiceField(
        label=_("责任机构"),
        queryset=Organisation.objects.filter(is_active=True).exclude(kind=Organisation.Kind.HEAD_OFFICE),
        required=False,
    )


class CommentForm(ActionForm):
    body = forms.CharField(
        label=_("内部备注（仅行内员工可见，不会发给客户）"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def root_cause_field(label, *, required: bool) -> forms.CharField:
    """A C-axis code with a search-as-you-type picker (``static/js/code-picker.js``) offering
    active leaf codes only; the service still refuses anything but a leaf in use."""
    url = format_lazy("{}?axis=C&selectable=1&limit=12", reverse_lazy("complaints:taxonomy_search"))
    return forms.CharField(
        label=label,
        required=required,
        max_length=12,
        widget=forms.TextInput(attrs={"data-picker-url": url, "placeholder": _("输入代码或关键词，如 年费")}),
    )


def _redress_choices():
    return list(REDRESS_TYPES.items())


class DecisionForm(ActionForm):
    text = forms.CharField(
        label=_("处理意见（总行审核通过后答复客户，客户会看到）"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    proposed_result = forms.ChoiceField(label=_("拟定结果"), choices=Complaint.Result.choices)
    redress_type = forms.ChoiceField(label=_("补偿方式"), choices=_redress_choices)
    redress_amount = forms.DecimalField(label=_("补偿金额（元）"), required=False, max_digits=14, decimal_places=2)
    root_cause = root_cause_field(_("根因代码（C 维度末级，可稍后填写）"), required=False)


class ReviewForm(ActionForm):
    comment = forms.CharField(
        label=_("审核意见（退回时必填）"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CloseForm(ReasonForm):
    result = forms.ChoiceField(label=_("处理结果"), choices=Complaint.Result.choices)
    redress_type = forms.ChoiceField(label=_("补偿方式"), choices=_redress_choices)
    redress_amount = forms.DecimalField(label=_("补偿金额（元）"), required=False, max_digits=14, decimal_places=2)
    root_cause = root_cause_field(_("根因代码（C 维度末级，如 C0201）"), required=True)


def _date_field(label, *, required=True):
    return forms.DateField(
        validators=[plausible_date], label=label, required=required, widget=forms.DateInput(attrs={"type": "date"})
    )


class RespondForm(ReasonForm):
    informed_via = forms.ChoiceField(label=_("告知客户方式"), choices=DeliveryChannel.choices)
    informed_on = _date_field(_("客户收到日期（默认今天；信函可待送达后登记）"), required=False)


class InformedForm(ActionForm):
    informed_via = forms.ChoiceField(label=_("告知客户方式"), choices=DeliveryChannel.choices)
    informed_on = _date_field(_("客户收到处理决定日期"))


class PauseForm(ActionForm):
    pause_reason = forms.ChoiceField(label=_("鉴定类型"), choices=Pause.Reason.choices)
    reference = forms.CharField(label=_("鉴定委托编号/文书号"), required=False, max_length=100)
    evidence = forms.FileField(label=_("委托书或证明文件（与编号二选一）"), required=False)
    expected_end = _date_field(_("预计结束日期"))
    note = forms.CharField(label=_("说明（鉴定机构等）"), max_length=500)


class DecideForm(ActionForm):
    """Approve or reject (the button pressed); a reason is needed to reject."""

    decision = forms.ChoiceField(choices=[("approve", _("批准")), ("reject", _("驳回"))], widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("审批意见（驳回时必填）"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ExtensionRequestForm(ActionForm):
    reason = forms.CharField(label=_("延期理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    customer_informed = forms.BooleanField(label=_("已告知客户"), required=False)


class ExtensionDecideForm(ActionForm):
    request_id = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("approve", _("批准")), ("reject", _("驳回"))], widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("审批意见（驳回时必填）"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class VerificationRequestForm(ActionForm):
    requested_on = forms.DateField(
        validators=[plausible_date], label=_("客户提出核实日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    requested_via = forms.ChoiceField(
        label=_("客户提出方式"), choices=DeliveryChannel.choices, initial=DeliveryChannel.LETTER
    )
    reason = forms.CharField(label=_("核实请求内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class VerificationDecideForm(ActionForm):
    outcome = forms.ChoiceField(
        label=_("核实结论"),
        choices=[(k, v) for k, v in VerificationRequest.Outcome.choices if k != VerificationRequest.Outcome.WITHDRAWN],
    )
    comment = forms.CharField(label=_("核实意见"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    text = forms.CharField(
        label=_("变更后的处理意见（变更时必填，须经总行审批）"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    result = forms.ChoiceField(
        label=_("变更后的处理结果"), choices=[("", "---------"), *Complaint.Result.choices], required=False
    )
    redress_type = forms.ChoiceField(
        label=_("补偿方式"), choices=[("", "---------"), *REDRESS_TYPES.items()], required=False
    )
    redress_amount = forms.DecimalField(label=_("补偿金额（元）"), required=False, max_digits=14, decimal_places=2)
    root_cause = root_cause_field(_("根因代码（C 维度末级，如 C0201）"), required=False)


class MergeForm(ActionForm):
    into_reference = forms.CharField(label=_("原投诉编号（较早的同一客户投诉）"), max_length=32)
    reason = forms.CharField(label=_("合并理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    override_customer = forms.BooleanField(label=_("不同客户，总行确认合并"), required=False)


class AssignForm(ReasonForm):
    handler = forms.IntegerField(label=_("经办人"), widget=forms.Select)

    def __init__(self, *args, handlers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].widget.choices = [("", "---------"), *handlers]


class InvolvedForm(ActionForm):
    username = forms.CharField(label=_("员工用户名"), max_length=150)
    kind = forms.ChoiceField(label=_("类型"), choices=InvolvedStaff.Kind.choices)
    note = forms.CharField(label=_("说明"), required=False, max_length=300)
