"""Intake benchmark on PostgreSQL at 1,000,000 complaints (not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/voc_bench_intake .venv/bin/python bench/intake.py [--rows 1000000]

Generates the rows in bulk with INSERT … SELECT generate_series (once; reruns reuse them),
then measures p50/p95 of: create via the service and via the API; list pages (filters,
first page and deep cursor pages) and search — each beside the page-number baseline
(OFFSET + COUNT(*), Django's Paginator) measured in the same run. Writes
bench/results/intake-<date>.md. Targets: list/search p95 ≤ 50 ms, create p95 ≤ 30 ms.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voc.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.core.paginator import Paginator  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.utils import timezone  # noqa: E402

SUMMARIES = [
    ("信用卡年费争议", "客户称未激活信用卡即被收取年费，要求退还并取消年费。"),
    ("信用卡交易争议", "客户对一笔境外消费不认可，认为系盗刷，要求调查并退款。"),
    ("信用卡还款入账延迟", "客户按时还款但系统显示逾期，产生滞纳金及征信影响。"),
    ("分期营销误导", "客服推荐分期时未说明手续费率，客户认为存在误导。"),
    ("催收方式不当", "第三方催收人员频繁致电客户亲友，言语不当。"),
    ("手机银行无法登录", "客户反映手机银行升级后无法登录，多次重试失败。"),
    ("理财产品亏损", "客户称购买理财时被告知保本，现出现亏损。"),
    ("柜面排队时间长", "客户在网点等候超过一小时，窗口开放不足。"),
]
RARE = (
    "自助机吞卡",
    "客户在自助设备取款时银行卡被吞，网点未及时处理。",
)  # 1 row in 1,999 (prime, so the rare rows spread over every org)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def timed(fn, n: int) -> list[float]:
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def ensure_data(rows: int, *, regenerate: bool = False) -> None:
    from accounts import demo as accounts_demo
    from accounts.models import Organisation
    from complaints.grams import cjk_grams
    from complaints.models import ClassificationCode, Complaint
    from complaints.taxonomy_selectors import taxonomy_rows

    if regenerate:  # before migrating, so a new migration's back-fill has no rows to rewrite
        with connection.cursor() as cur:
            # Bench database only: cases, their customers and everything hanging off them.
            cur.execute("TRUNCATE complaints_complaint, complaints_customer CASCADE")
    call_command("migrate", verbosity=0)
    if not Organisation.objects.filter(code="SZ").exists():
        accounts_demo.seed()
    have = Complaint.objects.count()
    if have >= rows:
        print(f"data: {have} complaints present")
        return
    leaf = {r.code for r in taxonomy_rows() if r.is_leaf}
    ids = {c.code: c.id for c in ClassificationCode.objects.filter(code__in=leaf)}
    credit = [ids[c] for c in ids if c.startswith("B0302")]
    other_b = [ids[c] for c in ids if c.startswith("B") and not c.startswith("B0302")]
    b_pool = credit * (len(other_b) // len(credit) + 1) + other_b  # about half credit cards
    a_pool = [ids[c] for c in ids if c.startswith("A")]
    c_pool = [ids[c] for c in ids if c.startswith("C")]
    org_pool = list(Organisation.objects.exclude(kind="head_office").values_list("id", flat=True))
    # g * step must cycle through every org: a step sharing a factor with the org count
    # (3 with 15 orgs) put all cases in 5 of the 15 orgs.
    org_step = next(k for k in (7, 11, 13, 17, 19, 23) if math.gcd(k, len(org_pool)) == 1)
    texts = SUMMARIES
    n_customers = rows // 3
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT coalesce(max(id), 0) FROM complaints_customer")
        base_customer = cur.fetchone()[0]
        cur.execute(
            """INSERT INTO complaints_customer (name, surname, title, mobile_hash, mobile_masked, id_number_hash,
                   id_number_masked, mobile_encrypted, id_number_encrypted, home_org_id, created_at)
               SELECT '客户' || g, '王', CASE WHEN mod(g, 2) = 0 THEN 'mr' ELSE 'ms' END,
                   md5('m' || g) || md5('x' || g), '138****' || lpad(mod(g, 10000)::text, 4, '0'), '', '', '', '',
                   (%(orgs)s::bigint[])[1 + mod(g, %(norg)s)], now()
               FROM generate_series(1, %(n)s) g""",
            {"orgs": org_pool, "norg": len(org_pool), "n": n_customers},
        )
        # The sequence may be ahead of max(id) (after a TRUNCATE): offset from the first new id.
        cur.execute("SELECT min(id) - 1 FROM complaints_customer WHERE id > %s", [base_customer])
        base_customer = cur.fetchone()[0]
        cur.execute(
            "DROP INDEX IF EXISTS cmp_summary_trgm; DROP INDEX IF EXISTS cmp_details_trgm;"
            " DROP INDEX IF EXISTS cmp_search_grams"
        )
        step = 250_000
        for start in range(have + 1, rows + 1, step):
            end = min(rows, start + step - 1)
            cur.execute(
                """
                INSERT INTO complaints_complaint (reference, channel, regulator_reference, regulator_received_on,
                    code_a_id, code_b_id, code_c_id, is_elderly, is_repeat, is_regulator_referred, is_group_impact,
                    has_media_risk, summary, details, search_grams, demand, disputed_amount, received_at, accepted_at, customer_id,
                    responsible_org_id, status, extension_level, paused_days, result, redress_type, created_at,
                    updated_at, due_date)
                SELECT 'VOC-2025-' || lpad(g::text, 7, '0'),
                    (ARRAY['hotline','hotline','hotline','counter','app','wechat','web','regulator'])[1 + mod(g, 8)],
                    CASE WHEN mod(g, 8) = 7 THEN 'JG-' || g ELSE '' END, NULL,
                    (%(a)s::bigint[])[1 + mod(g * 7, %(na)s)], (%(b)s::bigint[])[1 + mod(g * 13, %(nb)s)],
                    (%(c)s::bigint[])[1 + mod(g * 17, %(nc)s)],
                    mod(g, 12) = 0, mod(g, 16) = 0, mod(g, 8) = 7, mod(g, 100) = 0, mod(g, 50) = 0,
                    CASE WHEN mod(g, 1999) = 0 THEN %(rare_s)s ELSE (%(sums)s::text[])[1 + mod(g * 31, %(ns)s)] END,
                    CASE WHEN mod(g, 1999) = 0 THEN %(rare_d)s ELSE (%(dets)s::text[])[1 + mod(g * 31, %(ns)s)] END,
                    CASE WHEN mod(g, 1999) = 0 THEN %(rare_g)s ELSE (%(grams)s::text[])[1 + mod(g * 31, %(ns)s)] END,
                    'explanation', mod(g, 5000)::numeric, ts, ts, 1 + %(bc)s + mod(g, %(ncust)s),
                    (%(orgs)s::bigint[])[1 + mod(g * %(ostep)s, %(norg)s)], 'registered', 0, 0, '', '', ts, ts,
                    (ts + interval '15 days')::date
                FROM (SELECT g, now() - (g::double precision / %(rows)s) * interval '365 days'
                             - (random() * interval '1 hour') AS ts
                      FROM generate_series(%(start)s, %(end)s) g) s
                """,
                {
                    "a": a_pool,
                    "na": len(a_pool),
                    "b": b_pool,
                    "nb": len(b_pool),
                    "c": c_pool,
                    "nc": len(c_pool),
                    "sums": [s for s, _ in texts],
                    "dets": [d for _, d in texts],
                    "ns": len(texts),
                    "rare_s": RARE[0],
                    "rare_d": RARE[1],
                    "grams": [cjk_grams(s, d) for s, d in texts],
                    "rare_g": cjk_grams(*RARE),
                    "ostep": org_step,
                    "bc": base_customer,
                    "ncust": n_customers,
                    "orgs": org_pool,
                    "norg": len(org_pool),
                    "rows": rows,
                    "start": start,
                    "end": end,
                },
            )
            print(f"  inserted up to {end} ({time.perf_counter() - t0:.0f} s)", flush=True)
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
        cur.execute("ANALYZE complaints_complaint; ANALYZE complaints_customer")
    print(f"data: generated {rows - have} complaints in {time.perf_counter() - t0:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--n", type=int, default=60, help="samples per scenario")
    parser.add_argument("--regenerate", action="store_true", help="drop the bench rows and generate them anew")
    parser.add_argument("--label", default="", help="append to today's results file under this heading")
    parser.add_argument("--parts", default="create,list,search,api", help="comma-separated; 'none' = data only")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run on PostgreSQL: set DATABASE_URL=postgres://…/voc_bench_intake")
    ensure_data(args.rows, regenerate=args.regenerate)
    parts = set(args.parts.split(","))
    if "none" in parts:
        return

    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from accounts.models import Organisation, User
    from complaints.list_selectors import ComplaintFilters, complaint_filter, complaint_page_for
    from complaints.models import Complaint
    from complaints.selectors import complaints_for
    from complaints.services import CustomerInput, complaint_register

    agent = User.objects.get(username="agent")
    ho = User.objects.get(username="ho_officer")
    branch = User.objects.get(username="sz_manager")
    sz = Organisation.objects.get(code="SZ")
    n = args.n
    results: list[tuple[str, float, float, str]] = []

    def record(name, samples, note=""):
        results.append((name, statistics.median(samples), pct(samples, 95), note))
        print(f"{name:<58} p50 {results[-1][1]:7.1f} ms  p95 {results[-1][2]:7.1f} ms  {note}", flush=True)

    rnd = random.Random(7)

    def register(i):
        complaint_register(
            actor=agent,
            channel="hotline",
            code_a="A0302",
            code_b=rnd.choice(["B030202", "B030203", "B0101"]),
            code_c="C03",
            summary="信用卡年费争议 卡号6222021234567890",
            details="客户称未激活即被收取年费。" * 5,
            customer=CustomerInput(name="张伟", title="mr", mobile=f"139{rnd.randrange(10**8):08d}", home_org=sz),
        )

    if "create" in parts:
        timed(register, 10)  # warm-up
        # The workflow's hook runs inside the registration; time it apart (wrapped here only).
        from django.test.utils import CaptureQueriesContext

        import workflow.hooks as wf_hooks

        hook, hook_ms = wf_hooks.case_registered, []

        def timed_hook(*a, **kw):
            t0 = time.perf_counter()
            hook(*a, **kw)
            hook_ms.append((time.perf_counter() - t0) * 1000)

        wf_hooks.case_registered = timed_hook
        try:
            with CaptureQueriesContext(connection) as ctx:
                register(0)
            hook_ms.clear()
            record("create via service (complaint_register)", timed(register, n * 2), f"{len(ctx)} queries")
        finally:
            wf_hooks.case_registered = hook
        record("  of which workflow.hooks.case_registered", hook_ms)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=agent)[0].key}")
    body = {
        "channel": "hotline", "code_a": "A0302", "code_b": "B030202", "code_c": "C03", "summary": "年费争议",
        "customer": {"name": "李娜", "title": "ms", "mobile": "13900000000", "home_org": "SZ"},
    }  # fmt: skip

    def api_create(i):
        body["customer"]["mobile"] = f"137{rnd.randrange(10**8):08d}"
        r = api.post("/api/v1/complaints/", body, format="json", HTTP_IDEMPOTENCY_KEY=f"bench-{time.time_ns()}")
        assert r.status_code == 201, r.content

    if "create" in parts:
        timed(api_create, 5)
        record("create via API (POST /api/v1/complaints/, Idempotency-Key)", timed(api_create, n * 2))

    # Cursors at realistic depths: take (received_at, id) of rows at these offsets once.
    def cursor_at(user, f, depth):
        row = complaint_filter(complaints_for(user), f, user).order_by("-received_at", "-id")[depth : depth + 1]
        row = list(row.values_list("received_at", "id"))
        from complaints import cursor as cursors

        return cursors.encode(cursors.Cursor(*row[0])) if row else None

    scenarios = [
        ("HO, no filter", ho, ComplaintFilters()),
        ("HO, code_b=B0302 + channel=hotline", ho, ComplaintFilters(code_b="B0302", channel="hotline")),
        ("HO, regulator flag + last 90 days", ho, ComplaintFilters(flags=["is_regulator_referred"],
            received_from=timezone.localdate() - timezone.timedelta(days=90))),
        ("HO, org=SZ subtree + status", ho, ComplaintFilters(org=sz, status="registered")),
        ("branch user (SZ), no filter", branch, ComplaintFilters()),
        ("branch user (SZ), code_b=B030202", branch, ComplaintFilters(code_b="B030202")),
    ]  # fmt: skip
    for label, user, f in scenarios if "list" in parts else []:
        for depth in (0, 2_000, 50_000):
            cur = cursor_at(user, f, depth) if depth else None
            if depth and cur is None:
                continue
            samples = timed(lambda i, u=user, f=f, c=cur: complaint_page_for(u, f, cursor=c, limit=25).items, n)
            record(f"list {label}, {'first page' if not depth else f'cursor at row {depth:,}'}", samples)
            qs = (
                complaint_filter(complaints_for(user), f, user)
                .select_related("code_a", "code_b", "code_c", "responsible_org", "customer")
                .order_by("-received_at", "-id")
            )
            page_no = depth // 25 + 1
            base = timed(lambda i, qs=qs, p=page_no: list(Paginator(qs, 25).page(p).object_list), max(5, n // 6))
            record(f"  baseline OFFSET+COUNT, page {page_no:,}", base,
                   f"ratio {pct(base, 95) / max(results[-1][2], 0.01):.0f}x")  # fmt: skip

    for term in ("年费", "未激活", "吞卡", "盗刷", "手机银行", "卡") if "search" in parts else []:
        f = ComplaintFilters(q=term)
        samples = timed(lambda i, f=f: complaint_page_for(ho, f, limit=25).items, n)
        record(f"search '{term}' (HO, first page)", samples)
        fb = ComplaintFilters(q=term, org=sz)
        samples = timed(lambda i, f=fb: complaint_page_for(branch, f, limit=25).items, n)
        record(f"search '{term}' (SZ user, org=SZ, first page)", samples)
        qs = Complaint.objects.filter(Q(summary__icontains=term) | Q(details__icontains=term)).order_by(
            "-received_at", "-id"
        )
        base = timed(lambda i, qs=qs: list(Paginator(qs, 25).page(1).object_list), max(3, n // 10))
        record(
            f"  baseline icontains + COUNT '{term}'", base, f"ratio {pct(base, 95) / max(results[-1][2], 0.01):.0f}x"
        )

    if "api" in parts:
        api.force_authenticate(ho)
        samples = timed(lambda i: api.get("/api/v1/complaints/", {"code_b": "B0302", "limit": 25}), n)
        record("API list (GET /api/v1/complaints/?code_b=B0302)", samples)
        samples = timed(lambda i: api.get("/api/v1/complaints/", {"q": "未激活", "limit": 25}), n)
        record("API search (GET /api/v1/complaints/?q=未激活)", samples)
    write_results(results, Complaint.objects.count(), label=args.label)


def write_results(results, total, *, label: str = "") -> None:
    day = timezone.localdate().isoformat()
    with connection.cursor() as cur:
        cur.execute("select version()")
        pg = cur.fetchone()[0].split(" on ")[0]
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True,
                         text=True).stdout.strip()  # fmt: skip
    lines = [
        f"# Intake benchmark — {day}",
        "",
        f"Machine: {platform.node()}, {os.cpu_count()} cores ({cpu}), shared with other engineers' jobs; {pg}.",
        f"Rows: {total:,} complaints (bulk-generated), about a third as many customers. Samples per scenario: "
        "list/search 60, create 120; baselines fewer (they are slow). Times include Django ORM/serialisation, "
        "not HTTP. Targets: list/search p95 ≤ 50 ms, create p95 ≤ 30 ms.",
        "",
        "| scenario | p50 ms | p95 ms | note |",
        "|---|---:|---:|---|",
    ]
    lines += [f"| {name.strip()} | {p50:.1f} | {p95:.1f} | {note} |" for name, p50, p95, note in results]
    path = ROOT / "bench" / "results" / f"intake-{day}.md"
    if label and path.exists():
        # A later run of the same day (e.g. "after" a change) goes below the earlier one.
        lines[0] = f"## {label}"
        with path.open("a") as out:
            out.write("\n" + "\n".join(lines) + "\n")
    else:
        path.write_text("\n".join(lines) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
