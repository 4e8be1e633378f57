"""Two officers importing batches with the same regulator reference at the same moment: both find
no case with it, yet it is registered once (the registration key ``regulator:<reference>``); the
other row is marked as already registered and linked. PostgreSQL only (SQLite has one writer)."""

from __future__ import annotations

import csv
import io
import threading
from datetime import date

import pytest
from django.db import connection, connections

from complaints.models import Complaint
from integrations.models import RegulatorRow
from integrations.regulator_file import COLUMNS
from integrations.services import regulator as service

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"),
]
ROW = {
    "regulator_reference": "JG-RACE-1",
    "regulator_received_on": "2026-12-01",
    "customer_name": "张三",
    "mobile": "13812345678",
    "content": "信用卡年费争议。",
    "branch": "BJ",
    "code_a": "A0302",
    "code_b": "B030202",
    "code_c": "C03",
}


def test_two_imports_of_one_reference_at_once_register_it_once(org_tree, ho_officer, pin_clock, monkeypatch):
    pin_clock(date(2026, 12, 7))
    buf = io.StringIO()
    csv.writer(buf).writerows([[c.zh for c in COLUMNS], [ROW.get(c.key, "") for c in COLUMNS]])
    data = buf.getvalue().encode()
    batches = [service.regulator_batch_preview(actor=ho_officer, filename=f"{n}.csv", data=data) for n in "ab"]
    assert list(RegulatorRow.objects.values_list("outcome", flat=True)) == ["new", "new"]

    both_checked = threading.Barrier(2, timeout=20)
    register = service.complaint_register

    def register_after_both_checked(**kwargs):
        both_checked.wait()  # each import has looked for the reference and found no case
        return register(**kwargs)

    monkeypatch.setattr(service, "complaint_register", register_after_both_checked)
    errors: list[BaseException] = []

    def run(batch):
        try:
            service.regulator_batch_import(actor=ho_officer, batch=batch)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    cases = list(Complaint.objects.filter(regulator_reference="JG-RACE-1"))
    assert len(cases) == 1
    rows = RegulatorRow.objects.order_by("outcome")
    assert [(r.outcome, r.complaint_id) for r in rows] == [("created", cases[0].pk), ("skipped", cases[0].pk)]
