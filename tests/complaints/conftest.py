"""Fixtures for intake tests: an agent at head office, valid input, unequal case counts."""

from __future__ import annotations

import pytest

from accounts import roles
from complaints.services import CustomerInput, complaint_register

MOBILE = "13812345678"
ID_NUMBER = "11010519491231002X"
CARD = "6222 0212 3456 7890"


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The taxonomy and the public-form throttle live in the cache; tests must not share them.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def agent(org_tree, make_user):
    return make_user(roles.AGENT, org_tree.ho, username="agent1")


@pytest.fixture
def intake_input(org_tree):
    """Keyword arguments of a valid registration (a credit-card annual-fee complaint)."""

    def build(**overrides):
        customer = overrides.pop("customer", None) or CustomerInput(
            name="张伟", title="mr", mobile=MOBILE, home_org=org_tree.bj_cy
        )
        data = {
            "channel": "hotline",
            "code_a": "A0302",
            "code_b": "B030202",
            "code_c": "C03",
            "summary": "信用卡年费争议",
            "details": "客户称未激活即被收取年费。",
            "customer": customer,
        }
        data.update(overrides)
        return data

    return build


@pytest.fixture
def register(agent, intake_input):
    """Register through the real service as the agent (overrides go to the input)."""

    def do(actor=None, **overrides):
        return complaint_register(actor=actor or agent, **intake_input(**overrides))

    return do
