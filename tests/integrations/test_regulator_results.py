"""The results of regulator-referred cases back in the regulator's template: XLSX and CSV say
the same thing, each user gets their own scope, every export is audited and never cached, and
no cell can become a live formula."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.models import AuditEvent
from complaints.services import CustomerInput, complaint_register
from integrations.regulator_export import RESULTS
from tests.workflow.conftest import put
from workflow.models import CaseTransition

pytestmark = pytest.mark.django_db
PERIOD = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def regulator_case(officer, org, ref: str, received: date, *, channel="regulator", mobile="13812345678"):
    return complaint_register(
        actor=officer,
        channel=channel,
        regulator_reference=ref if channel == "regulator" else "",
        regulator_received_on=received if channel == "regulator" else None,
        received_at=at(received),
        code_a="A0302",
        code_b="B030202",
        code_c="C03",
        summary="信用卡年费争议",
        customer=CustomerInput(name="张三", title="mr", mobile=mobile),
        responsible_org=org,
    )


def responded(case, day: date, **fields):
    put(case, "responded", responded_at=at(day), **fields)
    CaseTransition.objects.create(
        complaint=case, action="respond", from_state="approved", to_state="responded", at=at(day)
    )


@pytest.fixture
def cases(org_tree, ho_officer, pin_clock):
    pin_clock(date(2026, 12, 7))
    on_time = regulator_case(ho_officer, org_tree.bj, "JG-11-01", date(2026, 11, 2))
    responded(
        on_time,
        date(2026, 11, 10),
        result="upheld",
        redress_amount=Decimal("200.00"),
        redress_type="=cmd|' /C calc'!A0",
    )
    late = regulator_case(ho_officer, org_tree.bj_cy, "JG-11-02", date(2026, 11, 3), mobile="13812345670")
    responded(late, date(2026, 11, 27), result="not_upheld")
    open_sh = regulator_case(ho_officer, org_tree.sh, "JG-11-03", date(2026, 11, 4), mobile="13812345671")
    regulator_case(ho_officer, org_tree.bj, "", date(2026, 11, 5), channel="hotline", mobile="13812345672")
    regulator_case(ho_officer, org_tree.bj, "JG-10-09", date(2026, 10, 20), mobile="13812345673")  # before the period
    return on_time, late, open_sh


def download(client, fmt: str, params=PERIOD):
    resp = client.get(reverse("integrations:regulator_export", args=[fmt]), params)
    assert resp.status_code == 200, resp.content[:300]
    assert "no-store" in resp["Cache-Control"]
    body = b"".join(resp.streaming_content) if resp.streaming else resp.content
    if fmt == "csv":
        return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(body)).active
    return [
        ["" if v is None else (v.date().isoformat() if isinstance(v, datetime) else str(v)) for v in r]
        for r in ws.iter_rows(values_only=True)
    ]


def test_head_office_exports_the_periods_regulator_cases_in_the_regulators_template(client, ho_officer, cases):
    on_time, late, open_sh = cases
    client.force_login(ho_officer)
    table = download(client, "csv")
    assert table[0] == [c.zh for c in RESULTS]
    rows = {r[0]: dict(zip([c.key for c in RESULTS], r, strict=True)) for r in table[1:]}
    assert list(rows) == ["JG-11-01", "JG-11-02", "JG-11-03"]  # no hotline case, none outside the period
    first = rows["JG-11-01"]
    assert first["complaint_id"] == on_time.reference and first["regulator_received_on"] == "2026-11-02"
    assert first["date_received"] == "2026-11-02" and first["company_unit"] == "北京分行"
    assert (first["result"], first["monetary_relief"], first["timely"]) == ("成立", "200.00", "是")
    assert first["date_responded"] == "2026-11-10" and first["decision_due"] == "2026-11-17"
    assert first["redress_type"] == "'=cmd|' /C calc'!A0"  # formula-injection guard
    assert first["customer"] == "张先生"
    assert (rows["JG-11-02"]["result"], rows["JG-11-02"]["timely"]) == ("不成立", "否")
    assert (rows["JG-11-03"]["result"], rows["JG-11-03"]["timely"]) == ("处理中", "否")  # open past its deadline
    event = AuditEvent.objects.get(action="regulator.export")
    assert event.actor == ho_officer and event.detail["date_from"] == "2026-11-01" and event.detail["format"] == "csv"


def test_xlsx_and_csv_carry_the_same_rows(client, ho_officer, cases):
    client.force_login(ho_officer)
    as_csv, as_xlsx = download(client, "csv"), download(client, "xlsx")
    money = [c.key for c in RESULTS].index("monetary_relief")
    for row in as_xlsx[1:]:
        row[money] = f"{float(row[money]):.2f}" if row[money] else ""
    assert as_xlsx == as_csv


def test_a_branch_manager_exports_only_their_branchs_cases(client, org_tree, make_user, cases):
    client.force_login(make_user(roles.BRANCH_MANAGER, org_tree.bj))
    refs = [r[0] for r in download(client, "xlsx")[1:]]
    assert refs == ["JG-11-01", "JG-11-02"]
    client.force_login(make_user(roles.BRANCH_MANAGER, org_tree.sh))
    assert [r[0] for r in download(client, "csv")[1:]] == ["JG-11-03"]


def test_the_results_page_counts_what_the_export_will_hold(client, ho_officer, cases):
    client.force_login(ho_officer)
    page = client.get(reverse("integrations:regulator_results"), PERIOD).content.decode()
    assert "2026-11-01 至 2026-11-30 收到的监管转办投诉：3 件" in page
    assert "date_from=2026-11-01&amp;date_to=2026-11-30" in page


def test_a_bad_period_is_a_clear_400_and_other_roles_get_404(client, org_tree, make_user, ho_officer, cases):
    client.force_login(ho_officer)
    resp = client.get(
        reverse("integrations:regulator_export", args=["csv"]), {"date_from": "2026-11-30", "date_to": "2026-11-01"}
    )
    assert resp.status_code == 400 and "开始日期晚于结束日期" in resp.content.decode()
    assert client.get(reverse("integrations:regulator_export", args=["pdf"]), PERIOD).status_code == 404
    client.force_login(make_user(roles.BRANCH_HANDLER, org_tree.bj))
    assert client.get(reverse("integrations:regulator_export", args=["csv"]), PERIOD).status_code == 404
    assert client.get(reverse("integrations:regulator_results")).status_code == 404
    assert not AuditEvent.objects.filter(action="regulator.export").exists()
