"""Template helpers of the workflow pages."""

from __future__ import annotations

from django import template

from complaints.states import state_label

register = template.Library()


@register.filter
def case_state(value: str) -> str:
    return state_label(value)


@register.filter
def days_abs(value):
    return abs(value) if isinstance(value, int) else value
