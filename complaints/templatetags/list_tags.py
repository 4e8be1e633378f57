"""Cheap per-row building blocks for long lists (issue 12: the case list renders 25 rows per
request at about 10 requests a second). ``{% url %}`` resolves the pattern on every row and the
``date`` filter walks its format letter by letter; these do the same once per page or in C."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

register = template.Library()

_SENTINEL = 987654321987


@register.simple_tag
def url_prefix(name: str) -> str:
    """What ``{% url name pk %}`` gives before the pk, for URLs ending in ``<pk>/``: a row then
    builds its link as ``{{ prefix }}{{ pk }}/`` (the same string, see tests)."""
    url = reverse(name, args=[_SENTINEL])
    tail = f"{_SENTINEL}/"
    if not url.endswith(tail) or url.count(str(_SENTINEL)) != 1:
        raise ValueError(f"{name}: not a URL that ends in <pk>/ ({url})")
    return url[: -len(tail)]


@register.filter(expects_localtime=True)
def strftime(value, fmt: str) -> str:
    """``value`` (a date, or a datetime shown in the current time zone) as ``fmt``; "" for none.
    The same text as ``|date`` for digit-only formats ("Y-m-d H:i" = "%Y-%m-%d %H:%M")."""
    if not value:
        return ""
    return value.strftime(fmt)


def _options(rows) -> str:
    """``<option>``s from (value, label, selected) rows, escaped as the template escaped them."""
    return format_html_join(
        "", '<option value="{}"{}>{}</option>', ((v, mark_safe(" selected") if on else "", t) for v, t, on in rows)
    )


@register.simple_tag
def status_options(choices, selected) -> str:
    """The status picker's options: (value, label) pairs, ``selected`` marked."""
    return _options((value, label, value == selected) for value, label in choices)


@register.simple_tag
def org_options(orgs, selected) -> str:
    """The organisation picker's options: by code, below the top level indented with "　"."""
    return _options((o.code, f"　{o.name_zh}" if o.depth > 1 else o.name_zh, o.code == selected) for o in orgs)


@register.simple_tag
def handler_options(handlers) -> str:
    """The bulk bar's handler picker: "name · org" per person."""
    return _options((h.pk, f"{h} · {h.org.name_zh}", False) for h in handlers)
