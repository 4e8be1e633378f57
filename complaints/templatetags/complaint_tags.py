from __future__ import annotations

from django import template

from complaints.states import CaseState

register = template.Library()
_LABELS = dict(CaseState.choices)


@register.filter
def status_label(value: str) -> str:
    return str(_LABELS.get(value, value))


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
