from __future__ import annotations

import factory

from accounts.models import Organisation, User
from accounts.services import org_upsert, user_upsert


class OrganisationFactory(factory.django.DjangoModelFactory):
    """Builds orgs through the service so the materialised path is right."""

    class Meta:
        model = Organisation

    code = factory.Sequence(lambda n: f"B{n:03d}"[:4] if n < 1000 else f"X{n}")
    name_zh = factory.LazyAttribute(lambda o: f"{o.code}分行")
    name_en = factory.LazyAttribute(lambda o: f"{o.code} Branch")
    kind = Organisation.Kind.BRANCH
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return org_upsert(**kwargs)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    org = None
    roles: tuple[str, ...] = ()
    password = "pw-test-123"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return user_upsert(
            username=kwargs["username"], org=kwargs["org"], roles=kwargs.get("roles", ()), password=kwargs["password"]
        )
