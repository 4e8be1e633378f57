"""The audit trail's and the play log's filters at scale (issue 14, item 8). PostgreSQL only.

    DATABASE_URL=postgres://... .venv/bin/python bench/audit_log.py [--rows 1000000] [--runs 20]

On a migrated database of its own (never production: it writes synthetic rows), it tops the
audit trail and the play log up to ``--rows`` synthetic events each (200 people, 7 kinds, one
event every 30 s going back ~350 days, a case named in the data of 2 kinds in 7), registers one
case with a recording whose events are scattered among them, then times one page of each
filter through the real selectors (``accounts.selectors.audit_page_for``,
``recordings.selectors.play_log_page``: the rows plus the objects named), median and max of
``--runs`` after one untimed warm-up, and names the indexes PostgreSQL's plan reads. Writes
bench/results/audit-log-<today>.md (``--out`` for another name).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voc.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts import roles  # noqa: E402
from accounts.models import AuditAction, AuditEvent, Organisation, User  # noqa: E402
from accounts.selectors import AuditFilters, audit_events_for, audit_page_for  # noqa: E402
from accounts.services import org_upsert, user_upsert  # noqa: E402
from recordings.models import CallRecording, ListeningEvent  # noqa: E402
from recordings.selectors import listening_events_for, play_log_page  # noqa: E402

KINDS = [
    AuditAction.CUSTOMER_UNMASK,
    AuditAction.CUSTOMER_LOOKUP,
    AuditAction.RECORDING_PLAY_ORIGINAL,
    AuditAction.ADMIN_CHANGE,
    AuditAction.RECORDING_UPLOAD,
    AuditAction.COMPLAINT_LINK_REPEAT,
    AuditAction.ANALYTICS_EXPORT,
]


def _setup(rows: int) -> tuple[User, object, CallRecording]:
    from complaints.services import CustomerInput, complaint_register

    ho = Organisation.objects.filter(code="HO").first() or org_upsert(
        code="HO", name_zh="总行", kind=Organisation.Kind.HEAD_OFFICE, parent=None
    )
    auditor = user_upsert(username="bench_auditor", org=ho, roles=(roles.AUDITOR,))
    agent = user_upsert(username="bench_agent", org=ho, roles=(roles.AGENT,))
    for i in range(200):
        if not User.objects.filter(username=f"bench_u{i}").exists():
            User.objects.create(username=f"bench_u{i}", display_name=f"员工{i}", org=ho)
    case = complaint_register(
        actor=agent,
        channel="hotline",
        code_a="A0302",
        code_b="B030202",
        code_c="C03",
        summary="bench",
        details="bench",
        customer=CustomerInput(name="张伟", title="mr", mobile="13812345678", home_org=ho),
    )
    rec = CallRecording.objects.create(
        complaint=case, owner_org=ho, file="bench.wav", size_bytes=1, sha256=os.urandom(32).hex(), duration_s=1.0
    )
    if CallRecording.objects.filter(file="bench-other.wav").count() < 999:
        CallRecording.objects.bulk_create(
            CallRecording(
                owner_org=ho, file="bench-other.wav", size_bytes=1, sha256=os.urandom(32).hex(), duration_s=1.0
            )
            for _ in range(999)
        )
    first_rec = CallRecording.objects.filter(file="bench-other.wav").order_by("id").values_list("id", flat=True)[0]
    first_user = User.objects.filter(username__startswith="bench_u").order_by("id").values_list("id", flat=True)[0]
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM accounts_auditevent")
        missing = rows - c.fetchone()[0]
        if missing > 0:
            kinds = "ARRAY[" + ",".join(f"'{k.value}'" for k in KINDS) + "]"
            c.execute(
                f"""INSERT INTO accounts_auditevent (at, actor_id, action, object_type, object_id, detail)
                SELECT now() - (g * 30 || ' seconds')::interval, %s + (g %% 200), ({kinds})[1 + (g %% 7)],
                  CASE WHEN g %% 7 IN (0, 1) THEN 'complaints.customer'
                       WHEN g %% 7 IN (2, 4) THEN 'recordings.callrecording'
                       WHEN g %% 7 = 5 THEN 'complaints.complaint' ELSE 'analytics.report' END,
                  (g %% 100000)::text,
                  CASE WHEN g %% 7 IN (0, 4) THEN jsonb_build_object('complaint_id', g %% 300000 + 1000000000)
                       ELSE '{{"via": "page"}}'::jsonb END
                FROM generate_series(1, %s) g""",
                [first_user, missing],
            )
        c.execute("SELECT count(*) FROM recordings_listeningevent")
        missing = rows - c.fetchone()[0]
        if missing > 0:
            c.execute(
                """INSERT INTO recordings_listeningevent (recording_id, user_id, at, version, via, play_id)
                SELECT %s + (g %% 999), %s + (g %% 200), now() - (g * 30 || ' seconds')::interval,
                  'redacted', 'page', ''
                FROM generate_series(1, %s) g""",
                [first_rec, first_user, missing],
            )
        # This case's recording: 10 plays scattered through the last year.
        c.execute(
            """INSERT INTO recordings_listeningevent (recording_id, user_id, at, version, via, play_id)
            SELECT %s, %s, now() - (g || ' days')::interval, 'redacted', 'page', ''
            FROM generate_series(1, 300, 30) g""",
            [rec.pk, first_user],
        )
        # This case's own events, scattered through the last year.
        c.execute(
            """INSERT INTO accounts_auditevent (at, actor_id, action, object_type, object_id, detail)
            SELECT now() - (g || ' days')::interval, %s, 'customer.unmask', 'complaints.customer', '1',
                   jsonb_build_object('complaint_id', %s) FROM generate_series(1, 300, 30) g""",
            [first_user, case.pk],
        )
        c.execute("ANALYZE accounts_auditevent; ANALYZE recordings_listeningevent")
    return auditor, case, rec


def _indexes(qs) -> str:
    sql, params = qs[:51].query.sql_with_params()
    with connection.cursor() as c:
        c.execute("EXPLAIN " + sql, params)
        plan = "\n".join(r[0] for r in c.fetchall())
    scans = r"(?:Index Scan(?: Backward)? using|Bitmap Index Scan on|Index Only Scan(?: Backward)? using) (\S+)"
    names = sorted({n for n in re.findall(scans, plan) if not n.endswith("_pkey")})
    sort = " + Sort" if re.search(r"->  Sort ", plan) or plan.startswith("Sort") else ""
    return ", ".join(names) + sort


def _time(fn, runs: int) -> tuple[float, float, int]:
    fn()  # warm-up (plans, caches): not timed
    times, n = [], 0
    for _ in range(runs):
        t = time.perf_counter()
        n = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), max(times), n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--out", default=str(ROOT / f"bench/results/audit-log-{date.today()}.md"))
    args = parser.parse_args()
    assert connection.vendor == "postgresql", "PostgreSQL only"
    auditor, case, rec = _setup(args.rows)
    person = User.objects.filter(username="bench_u7").values_list("id", flat=True)[0]
    today = timezone.localdate()
    audit = {
        "no filter": AuditFilters(),
        "action, common (1 in 7)": AuditFilters(action="customer.unmask"),
        "action, none stored": AuditFilters(action="pii.rekey"),
        "person": AuditFilters(actor_id=person),
        "person + action": AuditFilters(actor_id=person, action="customer.lookup"),
        "one local day, 100 days ago": AuditFilters(date_from=today - timedelta(100), date_to=today - timedelta(100)),
        "action + days before 300 days ago": AuditFilters(action="admin.change", date_to=today - timedelta(300)),
        "case (10 events in a year)": AuditFilters(reference=case.reference),
    }
    plays = {
        "no filter": {},
        "person": {"actor_id": person},
        "recording": {"recording_id": rec.pk},
        "case": {"reference": case.reference},
        "one local day, 100 days ago": {"date_from": today - timedelta(100), "date_to": today - timedelta(100)},
    }
    lines = [
        f"# Audit trail and play log filters, {date.today()}",
        "",
        f"`bench/audit_log.py --rows {args.rows} --runs {args.runs}` on PostgreSQL "
        f"{connection.cursor().connection.info.server_version}, {platform.machine()}, "
        f"{AuditEvent.objects.count():,} audit events, {ListeningEvent.objects.count():,} plays. "
        "One page (50 rows + the objects named), in-process, warm cache.",
        "",
        "| page | filter | rows | median ms | max ms | indexes read |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for name, f in audit.items():
        med, mx, n = _time(lambda f=f: len(audit_page_for(auditor, f).rows), args.runs)
        lines.append(f"| audit | {name} | {n} | {med:.1f} | {mx:.1f} | {_indexes(audit_events_for(auditor, f))} |")
    for name, f in plays.items():
        med, mx, n = _time(lambda f=f: len(play_log_page(auditor, **f)[0]), args.runs)
        lines.append(
            f"| plays | {name} | {n} | {med:.1f} | {mx:.1f} | {_indexes(listening_events_for(auditor, **f))} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
