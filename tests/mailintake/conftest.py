"""Mail intake fixtures: recipients mapped to head office and BJ, media in a temporary folder."""

from __future__ import annotations

import pytest

from accounts import roles
from complaints.services import CustomerInput, complaint_register


@pytest.fixture(autouse=True)
def _mail_settings(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MAIL_INTAKE_RECIPIENTS = {"complaints@bank.example": "", "bj.complaints@bank.example": "BJ"}
    settings.MAIL_INTAKE_ATTACHMENT_MAX_BYTES = 1024 * 1024
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def agent(org_tree, make_user):
    return make_user(roles.AGENT, org_tree.ho, username="agent1")


@pytest.fixture
def case_of(agent, org_tree):
    """A registered case (hotline), routed to ``org`` (BJ by default)."""

    def make(org=None):
        return complaint_register(
            actor=agent,
            channel="hotline",
            code_a="A0302",
            code_b="B030202",
            code_c="C03",
            summary="信用卡年费争议",
            customer=CustomerInput(name="张伟", title="mr", mobile="13812345678", home_org=org_tree.bj),
            responsible_org=org or org_tree.bj,
        )

    return make
