"""The login backend: Django's, but the signed-in user is read with their organisation and
roles in one query (every page asks ``user.org`` and ``user.role_set``; that was three
queries per request before any page work)."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.db.models import Aggregate, CharField, OuterRef, Subquery

from .models import RoleGrant, User

SEPARATOR = ","  # role names are fixed identifiers (accounts.roles): never contain it


class _RoleNames(Aggregate):
    """The role names of a group of grants, joined with ``SEPARATOR`` (PostgreSQL STRING_AGG,
    SQLite GROUP_CONCAT)."""

    function = "STRING_AGG"
    template = f"%(function)s(%(expressions)s, '{SEPARATOR}')"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra)


def with_org_and_roles(qs):
    """``qs`` of users with their organisation joined and ``role_set`` answered without a query."""
    names = RoleGrant.objects.filter(user=OuterRef("pk")).order_by().values("user").annotate(n=_RoleNames("role"))
    return qs.select_related("org").annotate(role_names=Subquery(names.values("n")[:1], output_field=CharField()))


def role_set_from(names: str | None) -> frozenset[str]:
    return frozenset(n for n in (names or "").split(SEPARATOR) if n)


class UserBackend(ModelBackend):
    def get_user(self, user_id):
        user = with_org_and_roles(User._default_manager.filter(pk=user_id)).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        user._role_cache = role_set_from(user.role_names)
        return user
