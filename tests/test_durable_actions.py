"""Top-level service actions (called by views, API, commands and tasks, never by another
service) run in ``transaction.atomic(durable=True)``: called inside another transaction they
raise at once instead of silently joining it. The case actions are covered in
tests/workflow/test_durable_actions.py; these are the other apps'."""

from __future__ import annotations

import ast
import importlib
import inspect

import pytest
from django.db import transaction

pytestmark = pytest.mark.django_db

# The top-level actions per services module (pinned: a new one is added here on purpose).
TOP_LEVEL = {
    "accounts.services": {"directory_apply", "administrator_ensure"},
    # rollup_refresh_for_complaints: its month locks end with its own commit (see its docstring)
    "analytics.services": {"improvement_create", "improvement_set_status", "rollup_refresh_for_complaints"},
    "complaints.services.customers": {"customer_reveal"},
    "complaints.services.intake": {"_register", "complaint_link_repeat"},
    "complaints.services.retention": {"regulator_inquiry_open", "regulator_inquiry_close"},
    "recordings.services.listening": {
        "recording_flag",
        "recording_unflag",
        "listen_mark",
        "recording_comment_add",
        "suspect_dismiss",
    },
    "recordings.services.review": {"recording_redaction_release", "recording_redaction_reject"},
    "recordings.services.transcription": {"recording_retry", "_claim"},
    "recordings.services.upload": {"recording_upload", "recording_link", "recording_receive"},
}
CASES = [(module, name) for module, names in sorted(TOP_LEVEL.items()) for name in sorted(names)]


def _durable_functions(module) -> set[str]:
    tree = ast.parse(inspect.getsource(module))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any(ast.unparse(d) == "transaction.atomic(durable=True)" for d in node.decorator_list)
    }


@pytest.mark.parametrize("module", sorted(TOP_LEVEL))
def test_the_durable_actions_are_exactly_those_listed(module):
    assert _durable_functions(importlib.import_module(module)) == TOP_LEVEL[module]


@pytest.mark.parametrize(("module", "name"), CASES)
def test_a_top_level_action_inside_another_transaction_raises_before_doing_anything(module, name):
    action = getattr(importlib.import_module(module), name)
    # The durable check runs when the block opens, before the function reads its arguments.
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        action()


def test_registering_a_complaint_inside_another_transaction_raises():
    from complaints.services import complaint_register

    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        complaint_register(actor=None)


def test_batch_jobs_commit_each_batch_and_refuse_to_run_inside_a_transaction():
    from complaints.services.keys import pii_rekey

    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        pii_rekey()
    pii_rekey()  # on its own it runs (nothing to re-key here)


def test_a_transcription_job_refuses_to_run_inside_a_transaction():
    # Its claim must commit before the long transcription, so other workers see it taken.
    from recordings.services.transcription import recording_transcribe

    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        recording_transcribe(recording_id=0)
    assert recording_transcribe(recording_id=0) == "skipped"  # on its own: no such recording


def test_org_and_user_upsert_are_building_blocks_that_fail_with_their_caller(org_tree):
    """Not durable: a directory load or the admin's save writes them inside its own transaction,
    and when that caller fails afterwards, nothing of them remains."""
    from accounts import roles
    from accounts.models import Organisation, User
    from accounts.services import org_upsert, user_upsert

    class CallerFailed(Exception):
        pass

    with pytest.raises(CallerFailed), transaction.atomic():
        org = org_upsert(code="TJ", name_zh="天津分行", kind=Organisation.Kind.BRANCH, parent=org_tree.ho)
        user_upsert(username="tj_manager", org=org, roles=[roles.BRANCH_MANAGER])
        assert User.objects.get(username="tj_manager").org == org  # written in the caller's transaction
        raise CallerFailed  # the caller fails after them
    assert not Organisation.objects.filter(code="TJ").exists()
    assert not User.objects.filter(username="tj_manager").exists()
