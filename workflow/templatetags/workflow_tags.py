"""Template helpers of the workflow pages."""

from __future__ import annotations

from django import template
from django.template.loader import render_to_string

from ..states import state_label

register = template.Library()


@register.simple_tag(takes_context=True)
def render_panel(context, panel):
    """Render a ``Panel(template, context, order)`` with the page's request (for CSRF and the user)."""
    return render_to_string(panel.template, panel.context, request=context.get("request"))


@register.filter
def case_state(value: str) -> str:
    return state_label(value)


@register.filter
def days_abs(value):
    return abs(value) if isinstance(value, int) else value
