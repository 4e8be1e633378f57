"""Cheap per-row building blocks for long lists (issue 12: the case list renders 25 rows per
request at about 10 requests a second). ``{% url %}`` resolves the pattern on every row and the
``date`` filter walks its format letter by letter; these do the same once per page or in C."""

from __future__ import annotations

from django import forms, template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
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


@register.simple_tag
def plain_widget(bf) -> str:
    """A filter field's widget as Django renders it (same elements, names, ids, values and
    selection; tests compare the two), built in one pass instead of Django's widget templates,
    which were several ms of the list page (a template per option and per attribute). For the
    list's select, checkbox-list and date fields; any other widget is rendered by Django."""
    widget, value = bf.field.widget, bf.value()
    name, id_ = bf.html_name, bf.auto_id
    if bf.errors or widget.attrs.keys() - {"type"}:
        return str(bf)  # Django's own (aria-invalid on a field in error, any extra attribute)
    if isinstance(widget, forms.CheckboxSelectMultiple):
        chosen = {str(v) for v in value or ()}
        boxes = format_html_join(
            "",
            '<div><label for="{0}_{1}"><input type="checkbox" name="{2}" value="{3}" id="{0}_{1}"{4}> {5}</label></div>',
            (
                (id_, i, name, v, mark_safe(" checked") if str(v) in chosen else "", label)
                for i, (v, label) in enumerate(bf.field.choices)
            ),
        )
        return format_html('<div id="{}">{}</div>', id_, boxes)
    if type(widget) is forms.Select:
        chosen = "" if value is None else str(value)
        options = _options((v, label, str(v) == chosen) for v, label in bf.field.choices)
        return format_html('<select name="{}" id="{}">{}</select>', name, id_, options)
    if type(widget) is forms.DateInput and widget.attrs == {"type": "date"}:
        shown = widget.format_value(value)
        shown = "" if shown is None else format_html(' value="{}"', shown)
        return format_html('<input type="date" name="{}" id="{}"{}>', name, id_, shown)
    return str(bf)
