"""Audit event kinds are one enum (``AuditAction``): the writer refuses anything else, the code
names members (never a free-text string), the stored values stay those of the rows already
written, and the audit page shows each kind's label."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.urls import reverse

from accounts import roles
from accounts.models import AuditAction, AuditEvent
from accounts.services import audit_record

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "accounts",
    "complaints",
    "workflow",
    "recordings",
    "analytics",
    "integrations",
    "mailintake",
    "callqa",
    "wechat",
    "voc",
)
# The audit writers and where their action goes: keyword ``action`` or this positional index.
WRITERS = {"audit_record": None, "_audit": 1}

# Values already stored in audit rows before the enum existed: they must never change.
STORED_BEFORE_THE_ENUM = {
    "admin.add",
    "admin.change",
    "admin.delete",
    "admin.bootstrap",
    "directory.load",
    "complaint.link_repeat",
    "customer.unmask",
    "customer.lookup",
    "pii.rekey",
    "retention_apply",
    "retention_dry_run",
    "regulator_inquiry_open",
    "regulator_inquiry_close",
    "workflow.due_dates_recomputed",
    "recording.upload",
    "recording.link",
    "recording.retry",
    "recording.play_original",
    "recording.flag",
    "recording.unflag",
    "recording.suspect_dismiss",
    "recording.redaction_release",
    "recording.redaction_reject",
    "recording.transcript_unmasked",
    "analytics.export",
    "analytics.improvement_create",
    "analytics.improvement_status",
}


def _sources(*dirs: str) -> list[tuple[Path, ast.Module]]:
    out = []
    for d in dirs:
        for path in sorted((ROOT / d).rglob("*.py")):
            out.append((path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))))
    return out


def _writer_calls(tree: ast.Module):
    """(call, action expression) for each call of an audit writer."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name not in WRITERS:
            continue
        action = next((k.value for k in node.keywords if k.arg == "action"), None)
        index = WRITERS[name]
        if action is None and index is not None and len(node.args) > index:
            action = node.args[index]
        yield node, action


def test_the_writer_refuses_an_unknown_action_and_writes_nothing(db):
    for wrong in ("recording.uplaod", "something.new", ""):
        with pytest.raises(ValueError, match="Unknown audit action"):
            audit_record(actor=None, action=wrong)
    assert not AuditEvent.objects.exists()


def test_the_writer_wants_a_member_not_a_string_that_happens_to_match(db):
    # A free-text string is refused even when it spells an existing kind: call sites name members.
    with pytest.raises(ValueError):
        audit_record(actor=None, action="recording.upload")
    event = audit_record(actor=None, action=AuditAction.RECORDING_UPLOAD, object_type="x", object_id="1")
    event.refresh_from_db()
    assert event.action == "recording.upload" and event.get_action_display() == AuditAction.RECORDING_UPLOAD.label


def test_stored_values_are_those_of_the_rows_written_before_the_enum():
    # New kinds may be added; the values already stored never change.
    assert set(AuditAction.values) >= STORED_BEFORE_THE_ENUM
    assert all(str(label) for label in AuditAction.labels)
    assert len(set(map(str, AuditAction.labels))) == len(AuditAction.labels), "two kinds share a label"


def test_no_call_passes_a_plain_string_as_the_audit_action():
    calls, offenders = 0, []
    for path, tree in _sources(*APPS):
        for call, action in _writer_calls(tree):
            calls += 1
            where = f"{path.relative_to(ROOT)}:{call.lineno}"
            if action is None:
                offenders.append(f"{where} (no action)")
            elif any(isinstance(n, ast.Constant) and isinstance(n.value, str) for n in ast.walk(action)):
                offenders.append(where)
    assert calls >= 25, f"only {calls} audit writer calls found: has the writer been renamed?"
    assert not offenders, f"audit action as a plain string (use accounts.models.AuditAction): {offenders}"


def test_every_member_the_code_names_exists_and_every_member_is_used():
    named: dict[str, list[str]] = {}
    for path, tree in _sources(*APPS, "tests"):
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "AuditAction":
                named.setdefault(node.attr, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    api = {"choices", "values", "labels", "names", "__members__", "label_of"}
    unknown = {attr: where for attr, where in named.items() if attr not in AuditAction.__members__ and attr not in api}
    assert not unknown, f"AuditAction has no such member: {unknown}"
    in_app_code = {
        node.attr
        for _path, tree in _sources(*APPS)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "AuditAction"
    }
    assert set(AuditAction.__members__) - in_app_code == set(), "a kind no code writes"


def test_the_audit_page_shows_labels_and_filters_by_kind(client, org_tree, make_user):
    auditor = make_user(roles.AUDITOR, org_tree.ho)
    audit_record(actor=auditor, action=AuditAction.CUSTOMER_UNMASK, object_type="complaints.customer", object_id="7")
    audit_record(actor=auditor, action=AuditAction.PII_REKEY)
    client.force_login(auditor)

    body = client.get(reverse("accounts:audit_log")).content.decode()
    assert str(AuditAction.CUSTOMER_UNMASK.label) in body and str(AuditAction.PII_REKEY.label) in body
    assert 'title="customer.unmask"' in body  # the stored value stays visible to match exports

    only = client.get(reverse("accounts:audit_log"), {"action": "customer.unmask"}).content.decode()
    assert "客户 #7" in only and 'title="pii.rekey"' not in only  # the object named, not "complaints.customer 7"
    assert '<option value="customer.unmask" selected>' in only


def test_a_new_kind_needs_no_migration_only_a_value_that_fits_the_column():
    """The field does not carry the enum as choices (Django keeps choices in the migration
    state): adding a member changes no model state. What the schema does constrain is the
    length, checked here for every member."""
    field = AuditEvent._meta.get_field("action")
    _name, _path, _args, kwargs = field.deconstruct()
    assert "choices" not in kwargs
    too_long = [v for v in AuditAction.values if len(v) > field.max_length]
    assert too_long == []


def test_audit_rows_are_written_only_by_the_one_writer():
    """audit_record is where unknown kinds are refused, so no other app code creates rows."""
    offenders = []
    for path, tree in _sources(*APPS):
        if path == ROOT / "accounts" / "services.py" or "migrations" in path.parts:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            direct = isinstance(func, ast.Name) and func.id == "AuditEvent"
            via_manager = (
                isinstance(func, ast.Attribute)
                and func.attr in {"create", "bulk_create", "get_or_create", "update_or_create"}
                and "AuditEvent" in ast.unparse(func.value)
            )
            if direct or via_manager:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_the_admin_filters_by_kind_in_words(admin_client, db):
    audit_record(actor=None, action=AuditAction.CUSTOMER_UNMASK, object_type="complaints.customer", object_id="7")
    audit_record(actor=None, action=AuditAction.PII_REKEY)
    url = reverse("admin:accounts_auditevent_changelist")
    body = admin_client.get(url, {"action": AuditAction.PII_REKEY.value}).content.decode()
    assert str(AuditAction.PII_REKEY.label) in body  # the row, and the filter's choice, by name
    assert str(AuditAction.CUSTOMER_UNMASK.label) in body  # offered in the filter
    assert body.count('class="field-action_label"') == 1  # one row: the filtered kind
