"""Seed the load benchmark's database in bulk (run by bench/load/run.py in its own process).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/voc_h_load .venv/bin/python bench/load/seed.py \
        --rows 1000000 --password-file /tmp/voc-load/password

Reuses the workflow benchmark's generator (bench/workflow.py: INSERT ... SELECT generate_series, two
years of cases in 14 states by age, handlers assigned, pending extensions, verifications, pauses;
the demo bank's org tree and users), then in bulk: one customer per three cases (UPDATE from
generate_series), case details text, the analytics rollup (rollup_rebuild, for the TOP page), and
stored decision deadlines (backfill_timeliness), a password for every user, random per run, written to --password-file (never committed).
Prints one JSON line with the timings. Reruns reuse the data.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voc.settings")

from django.db import connection  # noqa: E402

from bench.workflow import ensure_data  # noqa: E402  (sets Django up)

DETAILS = [
    "客户称未激活信用卡即被收取年费，要求退还并取消年费。",
    "客户对一笔境外消费不认可，认为系盗刷，要求调查并退款。",
    "客户按时还款但系统显示逾期，产生滞纳金及征信影响。",
    "客服推荐分期时未说明手续费率，客户认为存在误导。",
    "客户反映手机银行升级后无法登录，多次重试失败。",
]


def add_customers(rows: int) -> float:
    """One customer per three cases, set on every case that has none (bulk; idempotent)."""
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM complaints_complaint WHERE customer_id IS NULL")
        if not cur.fetchone()[0]:
            return 0.0
        n = max(1, rows // 3)
        cur.execute("SELECT coalesce(max(id), 0) FROM complaints_customer")
        base = cur.fetchone()[0]
        cur.execute(
            """INSERT INTO complaints_customer (name, surname, title, mobile_hash, mobile_masked, id_number_hash,
                   id_number_masked, mobile_encrypted, id_number_encrypted, home_org_id, created_at,
                   contact_channel, contact_time)
               SELECT '客户' || g, '王', CASE WHEN mod(g, 2) = 0 THEN 'mr' ELSE 'ms' END,
                   md5('m' || g) || md5('x' || g), '138****' || lpad(mod(g, 10000)::text, 4, '0'), '', '', '', '',
                   NULL, now(), '', ''
               FROM generate_series(1, %s) g""",
            [n],
        )
        cur.execute("SELECT min(id) FROM complaints_customer WHERE id > %s", [base])
        first = cur.fetchone()[0]
        # One pass over the table with the text indexes dropped (rebuilt below, as in bench/intake.py):
        # customer, details, and a reference of the product's form (VOC-<year>-<number>; the generator's
        # VOC-W-… does not match the case page's URL). Eight digits: the per-year counter's new
        # references have seven, so the two never collide.
        cur.execute(
            "DROP INDEX IF EXISTS cmp_summary_trgm; DROP INDEX IF EXISTS cmp_details_trgm;"
            " DROP INDEX IF EXISTS cmp_search_grams"
        )
        cur.execute(
            """UPDATE complaints_complaint SET customer_id = %s + mod(id, %s),
                   details = (%s::text[])[1 + mod(id, %s)],
                   reference = 'VOC-' || to_char(received_at AT TIME ZONE 'Asia/Shanghai', 'YYYY') || '-'
                       || lpad(id::text, 8, '0')
               WHERE customer_id IS NULL""",
            [first, n, DETAILS, len(DETAILS)],
        )
        cur.execute(
            "CREATE INDEX IF NOT EXISTS cmp_summary_trgm ON complaints_complaint USING gin (summary gin_trgm_ops)"
        )
        cur.execute(
            "CREATE INDEX IF NOT EXISTS cmp_details_trgm ON complaints_complaint USING gin (details gin_trgm_ops)"
        )
        cur.execute(
            "CREATE INDEX IF NOT EXISTS cmp_search_grams ON complaints_complaint"
            " USING gin (string_to_array(search_grams, ' '))"
        )
        cur.execute("ALTER INDEX cmp_search_grams ALTER COLUMN 1 SET STATISTICS 1000")
        cur.execute(
            """UPDATE complaints_customer cu SET home_org_id = c.responsible_org_id
               FROM complaints_complaint c WHERE c.customer_id = cu.id AND cu.id >= %s AND cu.home_org_id IS NULL""",
            [first],
        )
        cur.execute("ANALYZE complaints_complaint; ANALYZE complaints_customer")
    return time.perf_counter() - t0


def backfill_timeliness() -> float:
    """Stored decision deadlines and timeliness in one bulk UPDATE (the product writes them after
    every logged event). Left empty, the first escalation job after seeding recomputes every case
    with one UPDATE each (1M rows: far longer than the load run) and the run measures that backfill.
    Approximation: the generator's due date (received + 21/42/84 days by extension level) is the
    deadline; a case that answered by then was on time, an unanswered one past it is late."""
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            """UPDATE complaints_complaint SET decision_due_date = due_date,
                   decision_timely = CASE WHEN responded_at IS NOT NULL THEN responded_at::date <= due_date
                                          WHEN due_date < current_date THEN false END
               WHERE decision_due_date IS NULL AND due_date IS NOT NULL"""
        )
        cur.execute("ANALYZE complaints_complaint")
    return time.perf_counter() - t0


def set_passwords(path: Path) -> int:
    from django.contrib.auth.hashers import make_password

    from accounts.models import User

    if path.exists():
        password = path.read_text().strip()
    else:
        password = secrets.token_urlsafe(18)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(password)
        path.chmod(0o600)
    # One hash for everyone (PBKDF2 with its own salt): the bench's users all share it.
    return User.objects.filter(is_active=True).update(password=make_password(password))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--password-file", type=Path, required=True)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run on PostgreSQL: set DATABASE_URL=postgres://...")
    from analytics.models import DailyRollup
    from analytics.services import rollup_rebuild
    from complaints.models import Complaint

    t = {}
    t["cases_s"] = ensure_data(args.rows)
    t["customers_s"] = add_customers(args.rows)
    t["timeliness_s"] = backfill_timeliness()
    t0 = time.perf_counter()
    if not DailyRollup.objects.exists():
        rollup_rebuild()
        with connection.cursor() as cur:
            cur.execute("ANALYZE analytics_dailyrollup; ANALYZE analytics_rollupmember")
    t["rollup_s"] = time.perf_counter() - t0
    t["users"] = set_passwords(args.password_file)
    t["complaints"] = Complaint.objects.count()
    print("SEED " + json.dumps(t), flush=True)


if __name__ == "__main__":
    main()
