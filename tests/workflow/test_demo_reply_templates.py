"""The demo keeps a few standard replies (issue 14: a fresh demo showed no reply templates)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from workflow import reply_templates
from workflow.demo import DEMO_REPLY_TEMPLATES, seed_reply_templates
from workflow.models import ReplyTemplate

pytestmark = pytest.mark.django_db


def test_the_demo_templates_are_added_once_and_offered_for_their_codes():
    assert seed_reply_templates() == len(DEMO_REPLY_TEMPLATES) == 3
    assert seed_reply_templates() == 0  # a second demo run adds nothing
    assert ReplyTemplate.objects.count() == 3
    cache.delete(reply_templates.CACHE_KEY)
    fee = [t.title for t in reply_templates.templates_for(["B030202", "C03"])]
    assert fee == ["信用卡年费减免答复"]
    deposits = [t.title for t in reply_templates.templates_for(["B0101"])]
    assert deposits == ["存款业务一般答复"]  # offered through the ancestor code B01
    assert reply_templates.templates_for(["B0201"]) == []
