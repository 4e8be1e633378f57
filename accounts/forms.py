"""Filter forms of the audit trail and the play log (shared by both pages)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AuditAction, User


class PersonChoiceField(forms.ModelChoiceField):
    """A person by name and organisation, never a bare username."""

    def label_from_instance(self, obj: User) -> str:
        return _("%(name)s（%(org)s）") % {"name": obj, "org": obj.org.name_zh} if obj.org_id else str(obj)


class TrailFilterForm(forms.Form):
    """Person, local date range and case: what the audit trail and the play log both narrow by."""

    actor = PersonChoiceField(label=_("人员"), queryset=User.objects.none(), required=False, empty_label=_("全部"))
    date_from = forms.DateField(label=_("从"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    case = forms.CharField(
        label=_("投诉编号"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"placeholder": "VOC-2026-0000001", "autocomplete": "off"}),
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = people

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("结束日期不能早于开始日期"))
        return cleaned

    def value(self, name: str):
        """The cleaned value of a field that validated (None/"" otherwise), so one bad field
        does not drop the others."""
        return (getattr(self, "cleaned_data", None) or {}).get(name) if name not in self.errors else None


class AuditFilterForm(TrailFilterForm):
    action = forms.ChoiceField(label=_("操作"), required=False, choices=[("", _("全部")), *AuditAction.choices])

    field_order = ["actor", "action", "date_from", "date_to", "case"]
