"""Parsing of report parameters (period, scope, dimension) for pages, exports and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voc.validators import plausible_date

from .dimensions import Dimension, DimensionError, dimension
from .periods import (
    COMPARES,
    DEFAULT_PRESET,
    Period,
    PeriodError,
    custom_period,
    period_containing,
    period_to_date,
    preset_period,
)

KIND_CHOICES = [
    ("custom", _("自定义（默认近30天）")),
    ("week", _("周")),
    ("month", _("月")),
    ("quarter", _("季度")),
]
AXIS_CHOICES = [("B", _("B 业务")), ("C", _("C 原因")), ("A", _("A 渠道")), ("BC", _("B×C 业务×原因"))]
PRESET_CHOICES = [
    ("mtd", _("本月至今")),
    ("last_month", _("上月")),
    ("qtd", _("本季度至今")),
    ("last_quarter", _("上季度")),
    ("last30", _("近30天")),
    ("yoy", _("同比")),
]
COMPARE_CHOICES = [("previous", _("环比")), ("year", _("同比"))]
LEVEL_CHOICES = [("3", _("末级")), ("2", _("二级")), ("1", _("一级"))]
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class ReportParams:
    period: Period
    dim: Dimension
    org_code: str
    preset: str = ""  # one of PRESET_CHOICES when the period came from a preset
    compare: str = "previous"  # compared with the period before (环比) or a year before (同比)

    @property
    def preset_label(self) -> str:
        return str(dict(PRESET_CHOICES).get(self.preset, ""))

    def query(self, **extra) -> str:
        """The query string that reproduces these parameters (for drill-down and export links)."""
        from urllib.parse import urlencode

        params = {
            "kind": "custom",
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "axis": self.dim.axis,
            "level": self.dim.level,
        }
        if self.period.kind != "custom":
            params = {"kind": self.period.kind, "anchor": self.period.start.isoformat(), **params}
            params.pop("start"), params.pop("end")
        if self.preset:
            params = {"preset": self.preset, "axis": self.dim.axis, "level": self.dim.level}
        elif self.compare != "previous":
            params["compare"] = self.compare
        if self.org_code:
            params["org"] = self.org_code
        params.update({k: v for k, v in extra.items() if v not in (None, "")})
        return urlencode(params)


class ReportForm(forms.Form):
    preset = forms.ChoiceField(label=_("快捷周期"), choices=PRESET_CHOICES, required=False)
    compare = forms.ChoiceField(label=_("对比"), choices=COMPARE_CHOICES, required=False)
    kind = forms.ChoiceField(label=_("周期"), choices=KIND_CHOICES, required=False)
    anchor = forms.DateField(validators=[plausible_date], label=_("所在日期"), required=False)
    start = forms.DateField(validators=[plausible_date], label=_("开始日期"), required=False)
    end = forms.DateField(validators=[plausible_date], label=_("结束日期"), required=False)
    org = forms.CharField(label=_("机构"), required=False, max_length=20)
    axis = forms.ChoiceField(label=_("维度"), choices=AXIS_CHOICES, required=False)
    level = forms.ChoiceField(label=_("层级"), choices=LEVEL_CHOICES, required=False)

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        kind = data.get("kind") or "custom"
        preset = data.get("preset") or ""
        compare = data.get("compare") or "previous"
        if not (preset or data.get("kind") or data.get("start") or data.get("end") or data.get("anchor")):
            preset = DEFAULT_PRESET  # never partial without saying so: the page marks it 含今日
        try:
            if preset:
                period, compare = preset_period(preset, today)
            elif kind == "custom":
                end = data.get("end") or today
                start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
                period = custom_period(start, end)
            else:
                anchor = data.get("anchor") or today
                if anchor < date(2000, 1, 1):
                    raise PeriodError(_("日期过早：%(d)s") % {"d": anchor})
                # a week/month/quarter still running is "to date" and compared like for like
                period = period_to_date(period_containing(kind, anchor), today)
            if period.start > today + timedelta(days=366):
                raise PeriodError(str(_("周期在未来")))
        except PeriodError as exc:
            raise forms.ValidationError(str(exc)) from exc
        try:
            dim = dimension(data.get("axis") or "B", data.get("level") or "3")
        except DimensionError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if compare not in COMPARES:
            compare = "previous"
        data["params"] = ReportParams(period, dim, (data.get("org") or "").strip(), preset, compare)
        return data


def parse_report(query) -> tuple[ReportParams | None, list[str]]:
    """(params, []) or (None, error messages) from a GET query dict."""
    form = ReportForm(query)
    if form.is_valid():
        return form.cleaned_data["params"], []
    errors = [str(e) for e in form.non_field_errors()]
    for name, errs in form.errors.items():
        if name != "__all__":
            errors += [f"{form.fields[name].label}: {e}" for e in errs]
    return None, errors


class ImprovementForm(forms.Form):
    title = forms.CharField(label=_("整改事项"), max_length=200)
    description = forms.CharField(label=_("问题与措施"), widget=forms.Textarea, required=False, max_length=4000)
    owner_org = forms.CharField(
        label=_("责任机构代码"),
        max_length=20,
        # search-as-you-type by code or name (static/js/code-picker.js); the view checks the code
        widget=forms.TextInput(
            attrs={
                "data-picker-url": reverse_lazy("analytics:improvement_orgs"),
                "placeholder": _("输入机构代码或名称"),
            }
        ),
    )
    due_date = forms.DateField(
        validators=[plausible_date],
        label=_("整改期限"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )


class ImprovementStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=[])
    note = forms.CharField(label=_("整改结果"), widget=forms.Textarea, required=False, max_length=4000)

    def __init__(self, *args, **kwargs):
        from .models import ImprovementItem

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = ImprovementItem.Status.choices
