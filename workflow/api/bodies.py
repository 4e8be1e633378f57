"""An action's JSON body, read by the very form the case page uses.

Each action's form (``workflow.actions.SPECS``) is the one definition of its input: the page
posts it as HTML form fields, the API as a JSON object with the same field names. Here the
JSON values are checked for the JSON type the schema states (``voc.api_fields``, as every
JSON body here; a form field reads text, so ``5`` for a text would otherwise pass), then the form validates them with the page's rules and messages.

The OpenAPI request body of each action (``request_serializer``) is generated from the same
form, so the documented constraints (required, maxLength, enum, decimal places) are the ones
enforced. Left out of the API: the page's hidden ``version`` (the API takes ``If-Match``) and
``next``, and file fields (JSON carries no file; a pause request names its appraisal by
``reference``).
"""

from __future__ import annotations

from functools import cache

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from voc.api_fields import PlausibleDateField, json_type_errors

from .. import actions

PAGE_ONLY = frozenset({"version", "next"})
NOT_BLANK = RegexValidator(r"\S")  # the form strips the text; only whitespace counts as missing


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^(19\d\d|20\d\d|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$",
        "description": "A date, YYYY-MM-DD, between 1900-01-01 and 2100-12-31",
    }
)
class FormDateField(PlausibleDateField):
    """A date of a workflow form (every one is ``plausible_date``). The schema states it by its
    pattern alone: a required ``format: date`` with a pattern leaves schema-driven clients (and
    the fuzz test) almost nothing to generate but dates outside the window."""


def api_fields(form_class: type[forms.Form]) -> dict[str, forms.Field]:
    """The form's fields an API body carries."""
    return {
        name: field
        for name, field in form_class.base_fields.items()
        if name not in PAGE_ONLY and not isinstance(field, forms.FileField)
    }


def _looks_up_by_code(field: forms.Field) -> bool:
    return isinstance(field, forms.ModelChoiceField) and any(
        f.name == "code" for f in field.queryset.model._meta.fields
    )


def _code_length(field: forms.ModelChoiceField) -> int | None:
    return field.queryset.model._meta.get_field("code").max_length if _looks_up_by_code(field) else None


def _serializer_field(field: forms.Field) -> serializers.Field:
    """The DRF field documenting ``field`` (its help text is the form's label)."""
    common = {"required": field.required, "help_text": str(field.label or "")}
    if isinstance(field, forms.ModelChoiceField):
        if _looks_up_by_code(field):
            common["help_text"] = f"{field.label} (code)"
        return serializers.CharField(max_length=_code_length(field), allow_blank=not field.required, **common)
    if isinstance(field, forms.BooleanField):
        return serializers.BooleanField(**{**common, "required": False})
    if isinstance(field, forms.DateField):
        return FormDateField(**common)
    if isinstance(field, forms.DecimalField):
        return serializers.DecimalField(
            max_digits=field.max_digits, decimal_places=field.decimal_places, allow_null=not field.required, **common
        )
    if isinstance(field, forms.IntegerField):
        return serializers.IntegerField(min_value=field.min_value, max_value=field.max_value, **common)
    if isinstance(field, forms.ChoiceField):
        choices = [(k, v) for k, v in field.choices if k != ""]
        return serializers.ChoiceField(choices=choices, allow_blank=not field.required, **common)
    if isinstance(field, forms.CharField):
        return serializers.CharField(
            max_length=field.max_length,
            allow_blank=not field.required,
            trim_whitespace=False,
            validators=[NOT_BLANK] if field.required else [],
            **common,
        )
    raise TypeError(f"no API field for {type(field).__name__}")  # a new kind of form field: add it here


@cache
def request_serializer(action: str) -> type[serializers.Serializer]:
    """The documented body of ``action``: one serializer class per action, named after it."""
    form_class = actions.SPECS[action].form
    attrs = {name: _serializer_field(f) for name, f in api_fields(form_class).items()}
    name = "".join(p.capitalize() for p in action.split("_")) + "ActionRequest"
    return type(name, (serializers.Serializer,), attrs)


def bound_form(action: str, body, user) -> forms.Form:
    """The action's form bound to the JSON ``body``; ``serializers.ValidationError`` (a 400
    naming each field) when the body is not an object or a value has the wrong JSON type.
    The caller validates the form (its errors are the page's messages)."""
    spec = actions.SPECS[action]
    if not isinstance(body, dict):
        raise serializers.ValidationError({"non_field_errors": [_("请求体须为 JSON 对象")]})
    fields = api_fields(spec.form)
    documented = request_serializer(action)().fields
    errors = json_type_errors(documented, body)
    for name, field in documented.items():
        if body.get(name, "") is None and not field.allow_null:
            errors[name] = [str(field.error_messages["null"])]
    for name, field in documented.items():
        if isinstance(field, PlausibleDateField) and isinstance(body.get(name), str) and name not in errors:
            try:  # YYYY-MM-DD only, as the schema says (the form would also read 12/07/2026)
                field.to_internal_value(body[name])
            except serializers.ValidationError as exc:
                errors[name] = [str(m) for m in exc.detail]
    if errors:
        raise serializers.ValidationError(errors)
    data = {name: body[name] for name in fields if body.get(name) is not None}
    form = spec.form(data, prefix=None, **actions.form_kwargs(action, user))
    for f in form.fields.values():
        if _looks_up_by_code(f):
            f.to_field_name = "code"  # the API names organisations by code, the page's select by id
    return form


def form_errors(form: forms.Form) -> dict[str, list[str]]:
    """The form's messages per field, as the API's error body names them."""
    return {name: [str(m) for m in messages] for name, messages in form.errors.items()}
