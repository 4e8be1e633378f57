"""A user's saved list views (常用查询): named filters and order of the case list, private to them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext as _

from accounts.models import User

from .. import pii
from ..models import SavedView

MAX_SAVED_VIEWS = 20
# What a view keeps: the list's filters and order. Never a page position (cursor) nor a customer
# search (customer: an expiring token for a number or a name; customer_name), nor anything else.
KEPT = (
    "q",
    "status",
    "code_a",
    "code_b",
    "code_c",
    "org",
    "channel",
    "bucket",
    "flags",
    "received_from",
    "received_to",
    "sort",
)


def clean_view_query(query: str) -> str:
    """The list query string with only the list's filters and order, any number in them masked."""
    parsed = QueryDict(query)
    kept = QueryDict(mutable=True)
    for key in KEPT:
        values = [pii.mask_text(v) for v in parsed.getlist(key) if v]
        if values:
            kept.setlist(key, values)
    return kept.urlencode()


@transaction.atomic
def saved_view_save(*, user: User, name: str, query: str) -> SavedView:
    """Save the list's current filters and order under ``name`` for ``user`` alone; the same
    name again replaces that view's query. At most MAX_SAVED_VIEWS per user."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("请填写名称")})
    if len(name) > SavedView._meta.get_field("name").max_length:
        raise ValidationError({"name": _("名称最多 40 个字")})
    query = clean_view_query(query)
    if len(query) > SavedView._meta.get_field("query").max_length:
        raise ValidationError({"name": _("查询条件过长，无法保存")})
    existing = SavedView.objects.select_for_update().filter(user=user, name=name).first()
    if existing is not None:
        existing.query = query
        existing.save(update_fields=["query"])
        return existing
    if SavedView.objects.filter(user=user).count() >= MAX_SAVED_VIEWS:
        raise ValidationError({"name": _("最多保存 %(n)s 个常用查询，请先删除不用的") % {"n": MAX_SAVED_VIEWS}})
    return SavedView.objects.create(user=user, name=name, query=query)


@transaction.atomic
def saved_view_delete(*, user: User, view_id: int) -> bool:
    """Delete ``user``'s view ``view_id``; False when they have no such view (another user's
    view is not theirs to delete, nor to know of)."""
    deleted, _rows = SavedView.objects.filter(user=user, pk=view_id).delete()
    return bool(deleted)
