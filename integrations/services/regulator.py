"""Regulator transfers in: upload and preview a batch, then import it row by row.

Preview (``regulator_batch_preview``) reads the file, checks every row and keeps the batch with
each row's outcome; nothing becomes a case yet. Import (``regulator_batch_import``) registers
the rows still marked "new" through ``complaints.services.complaint_register``, one durable
transaction per row, so one bad row never undoes the others. Re-importing is idempotent: a
reference already on a case is skipped and linked to it, and the registration key
``regulator:<reference>`` lets only one of two concurrent imports of a reference create a case.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditAction, User
from accounts.services import audit_record
from complaints import crypto, pii
from complaints.services import complaint_register

from ..models import RegulatorBatch, RegulatorRow
from ..regulator_file import ParsedFile, read_file
from ..regulator_rows import active_orgs, check_row, existing_by_reference, service_errors, stored_reference
from ..selectors import may_import_regulator_transfers

Outcome = RegulatorRow.Outcome


def _cell_namer(letters: dict[str, str], number: int):
    return lambda key: f"{letters.get(key, '')}{number}" if letters.get(key) else str(number)


def _pack(values: dict[str, str], problems: dict[str, str]) -> str:
    return crypto.encrypt(json.dumps({"values": values, "problems": problems}, ensure_ascii=False))


def regulator_row_values(row: RegulatorRow) -> tuple[dict[str, str], dict[str, str]]:
    """The row's cells as typed (and the cells the reader found unreadable); empty once cleared."""
    text = crypto.decrypt(row.data_encrypted)
    if not text:
        return {}, {}
    packed = json.loads(text)
    return packed["values"], packed["problems"]


@transaction.atomic
def regulator_batch_preview(*, actor: User, filename: str, data: bytes) -> RegulatorBatch:
    """Check every row of an uploaded transfer file and keep the batch with the outcomes.

    A file that cannot be read as a whole (type, encoding, missing columns, size) raises
    ``regulator_file.FileProblem`` and nothing is kept. Each row is kept with its values as typed
    (encrypted), so a row with errors loses nothing and comes back in the error report."""
    if not may_import_regulator_transfers(actor):
        raise PermissionDenied
    parsed: ParsedFile = read_file(data)
    existing = existing_by_reference([stored_reference(r.values["regulator_reference"]) for r in parsed.rows])
    batch = RegulatorBatch.objects.create(
        created_by=actor,
        filename=pii.mask_text(filename or "")[:200] or "upload",
        file_format=parsed.file_format,
        sha256=hashlib.sha256(data).hexdigest(),
        header_row=parsed.header_row,
        ignored_columns=[pii.mask_text(h)[:100] for h in parsed.ignored][:50],
        letters=parsed.letters,
    )
    now = timezone.now()
    orgs = active_orgs()
    earlier: dict[str, int] = {}
    rows = []
    for r in parsed.rows:
        check = check_row(
            r.values,
            r.problems,
            cell=_cell_namer(parsed.letters, r.number),
            existing=existing,
            earlier_rows=earlier,
            now=now,
            orgs=orgs,
        )
        if check.reference:
            earlier.setdefault(check.reference, r.number)
        rows.append(
            RegulatorRow(
                batch=batch,
                number=r.number,
                reference=check.reference,
                # A duplicate is on a case already: its copy of the customer's numbers is not kept.
                data_encrypted="" if check.outcome == Outcome.DUPLICATE else _pack(r.values, r.problems),
                outcome=check.outcome,
                errors=check.errors,
                notes=check.notes,
                complaint=check.duplicate_of,
            )
        )
    RegulatorRow.objects.bulk_create(rows)
    counts = Counter(r.outcome for r in rows)
    audit_record(
        actor=actor,
        action=AuditAction.REGULATOR_BATCH_UPLOAD,
        obj=batch,
        rows=len(rows),
        new=counts[Outcome.NEW],
        duplicate=counts[Outcome.DUPLICATE],
        error=counts[Outcome.ERROR],
    )
    return batch


def regulator_batch_import(*, actor: User, batch: RegulatorBatch) -> dict[str, int]:
    """Register the batch's rows still marked "new", each in its own transaction (not atomic as a
    whole on purpose); returns the count of each outcome this run produced.

    Every row is checked again first (another batch may have brought its reference, a code may
    have been retired since the preview); what the check or the registration refuses is kept on
    the row as "failed", with its values, for the error report. Running it again is harmless:
    rows already done are not touched, and a case made by a run that died before marking its
    row is found by its reference and linked."""
    if not may_import_regulator_transfers(actor):
        raise PermissionDenied
    done: Counter[str] = Counter()
    for row in batch.rows.filter(outcome=Outcome.NEW).order_by("number"):
        outcome = _import_row(actor, batch, row)
        if outcome:
            done[outcome] += 1
    RegulatorBatch.objects.filter(pk=batch.pk).update(
        status=RegulatorBatch.Status.IMPORTED, imported_at=timezone.now(), imported_by=actor
    )
    audit_record(
        actor=actor,
        action=AuditAction.REGULATOR_BATCH_IMPORT,
        obj=batch,
        created=done[Outcome.CREATED],
        skipped=done[Outcome.SKIPPED],
        failed=done[Outcome.FAILED],
    )
    return dict(done)


def _finish(row: RegulatorRow, outcome: str, **fields) -> str:
    """Mark a row done unless another import run did it first (only one run's answer stands)."""
    if outcome in (Outcome.CREATED, Outcome.SKIPPED):
        fields["data_encrypted"] = ""  # the case holds it now
    changed = RegulatorRow.objects.filter(pk=row.pk, outcome=Outcome.NEW).update(outcome=outcome, **fields)
    return outcome if changed else ""


def _import_row(actor: User, batch: RegulatorBatch, row: RegulatorRow) -> str:
    values, problems = regulator_row_values(row)
    cell = _cell_namer(batch.letters, row.number)
    if not values:
        return _finish(
            row,
            Outcome.FAILED,
            errors=[
                {
                    "column": "",
                    "cell": "",
                    "header": "",
                    "message": _("该行数据无法解密（加密密钥已更换），请重新上传。"),
                }
            ],
        )
    check = check_row(values, problems, cell=cell, existing=existing_by_reference([row.reference]), earlier_rows={})
    if check.outcome == Outcome.DUPLICATE:
        return _finish(row, Outcome.SKIPPED, complaint=check.duplicate_of, notes=check.notes, errors=[])
    if check.outcome == Outcome.ERROR:
        return _finish(row, Outcome.FAILED, errors=check.errors, notes=check.notes)
    try:
        case = complaint_register(
            actor=actor, intake_key=f"regulator:{check.reference}", late_reason=None, **check.register
        )
    except ValidationError as exc:
        return _finish(row, Outcome.FAILED, errors=service_errors(exc, cell), notes=check.notes)
    except PermissionDenied:
        message = _("您无权登记该投诉。")
        return _finish(row, Outcome.FAILED, errors=[{"column": "", "cell": "", "header": "", "message": message}])
    if case.intake_replayed:  # another run registered this reference a moment ago
        notes = [_("监管编号已在 %(ref)s 登记，不重复导入。") % {"ref": case.reference}]
        return _finish(row, Outcome.SKIPPED, complaint=case, notes=notes, errors=[])
    return _finish(row, Outcome.CREATED, complaint=case, notes=check.notes, errors=[])


def regulator_error_report_logged(*, actor: User, batch: RegulatorBatch, fmt: str, rows: int) -> None:
    """The error report carries the rows as typed (customer numbers included): each download is
    recorded."""
    audit_record(actor=actor, action=AuditAction.REGULATOR_ERROR_REPORT, obj=batch, format=fmt, rows=rows)
