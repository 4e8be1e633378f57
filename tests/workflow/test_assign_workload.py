"""The assign form shows each handler's workload (issue 14: no workload when assigning): their
open cases now, closed ones not counted, another branch's handlers not offered."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from workflow.actions import handler_choices

from .conftest import put

pytestmark = pytest.mark.django_db


def test_the_manager_sees_how_many_open_cases_each_handler_holds(client, staff, org_tree, new_case):
    for state in ("investigating", "drafting", "closed"):
        put(new_case(org_tree.bj), state, assigned_to=staff.bj_handler)
    put(new_case(org_tree.sh), "investigating", assigned_to=staff.sh_handler)
    case = put(new_case(org_tree.bj), "accepted")
    labels = dict(handler_choices(staff.bj_manager))
    assert labels[staff.bj_handler.pk].endswith("在办 2 件")  # the closed one is not work
    assert labels[staff.bj_handler2.pk].endswith("在办 0 件")
    assert staff.sh_handler.pk not in labels
    client.force_login(staff.bj_manager)
    html = client.get(reverse("workflow:case", args=[case.pk])).content.decode()
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', html)
    assert (str(staff.bj_handler.pk), labels[staff.bj_handler.pk]) in options
