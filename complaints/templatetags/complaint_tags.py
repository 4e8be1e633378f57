from __future__ import annotations

from django import template

from complaints.states import CaseState
from voc.labels import Labels

register = template.Library()
_LABELS = Labels(CaseState.choices)  # translated once per language (issue 12: one per list row)


@register.filter
def status_label(value: str) -> str:
    return _LABELS(value)


@register.simple_tag
def case_flags(case) -> list[str]:
    """Verbose names of the flags set on a case, for tags."""
    from complaints.selectors import FLAG_FIELDS

    return [str(case._meta.get_field(f).verbose_name) for f in FLAG_FIELDS if getattr(case, f)]


@register.filter
def pii_mask(value) -> str:
    """Text with card, phone and ID numbers masked (an echoed search box, for one)."""
    from complaints.pii import mask_text

    return mask_text(str(value)) if value else ""
