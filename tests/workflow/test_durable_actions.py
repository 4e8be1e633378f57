"""Case actions are top-level: each runs in its own durable transaction, so one called inside
another transaction fails loudly instead of silently joining it (and committing or rolling
back with someone else's work); code that composes actions calls ``.nested``."""

from __future__ import annotations

import ast
import inspect

import pytest
from django.db import transaction

from complaints.states import CaseState
from workflow import services
from workflow.models import CaseTransition
from workflow.services import case as case_module
from workflow.services import clock as clock_module
from workflow.services import team as team_module

from .conftest import fresh

pytestmark = pytest.mark.django_db


def test_a_case_action_inside_another_transaction_fails_and_writes_nothing(org_tree, staff, new_case):
    c = new_case(org_tree.bj)
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        services.case_route(complaint_id=c.pk, actor=staff.ho_officer)
    assert fresh(c).status == CaseState.REGISTERED
    assert not CaseTransition.objects.filter(complaint=c, action="route").exists()


def test_on_its_own_the_action_commits_as_before(org_tree, staff, new_case):
    c = new_case(org_tree.bj)
    services.case_route(complaint_id=c.pk, actor=staff.ho_officer)
    assert fresh(c).status == CaseState.ROUTED


def test_nested_joins_the_callers_transaction_and_rolls_back_with_it(org_tree, staff, new_case):
    c = new_case(org_tree.bj)
    with transaction.atomic():
        services.case_route.nested(complaint_id=c.pk, actor=staff.ho_officer)
        assert fresh(c).status == CaseState.ROUTED
        transaction.set_rollback(True)
    assert fresh(c).status == CaseState.REGISTERED
    with transaction.atomic():
        services.case_route.nested(complaint_id=c.pk, actor=staff.ho_officer)
    assert fresh(c).status == CaseState.ROUTED


def _transactional_functions(module) -> list[str]:
    """Public functions of ``module`` decorated with ``transaction.atomic`` (the case actions)."""
    tree = ast.parse(inspect.getsource(module))
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and not node.name.startswith("_")
        and any(ast.unparse(d).startswith("transaction.atomic") for d in node.decorator_list)
    ]


def test_every_case_action_is_exported_as_a_durable_top_level_action():
    checked = 0
    for module in (case_module, clock_module, team_module):
        for name in _transactional_functions(module):
            exported = getattr(services, name, None)
            assert exported is not None, f"workflow.services does not export {name}"
            assert getattr(exported, "nested", None) is getattr(module, name), f"{name} is not wrapped by logged()"
            checked += 1
    assert checked >= 25
