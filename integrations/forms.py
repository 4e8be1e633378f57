"""Forms of the regulator transfer pages."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .regulator_file import MAX_BYTES


class TransferUploadForm(forms.Form):
    file = forms.FileField(label=_("监管转办文件（.xlsx 或 CSV）"), allow_empty_file=True)  # our own message

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("文件过大：最多 5 MB。请分批上传。"))
        if upload.size == 0:
            raise forms.ValidationError(_("文件是空的。"))
        return upload


class ResultsPeriodForm(forms.Form):
    """The bank's receipt dates of the cases to report (both days included)."""

    date_from = forms.DateField(label=_("收到日期自"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    MAX_DAYS = 366

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        start = data.get("date_from") or today.replace(day=1)
        end = data.get("date_to") or today
        if start > end:
            raise forms.ValidationError(_("开始日期晚于结束日期。"))
        if (end - start).days >= self.MAX_DAYS:
            raise forms.ValidationError(_("一次最多导出一年。"))
        data["date_from"], data["date_to"] = start, end
        return data

    def period(self) -> tuple[dt.date, dt.date]:
        return self.cleaned_data["date_from"], self.cleaned_data["date_to"]
