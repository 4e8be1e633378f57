"""Retention benchmark on PostgreSQL (not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/voc_bench_retention .venv/bin/python bench/retention.py --rows 200000

Generates five years of closed cases in bulk (one customer each, a timeline row with a free-text
reason, a recording with two small audio files and two transcript segments on every 10th case, an
open regulator inquiry on every 100th), then measures in the same run:
1. the candidate query (EXPLAIN ANALYZE);
2. the dry run, the run with --apply (cases/s, files removed, queries per batch) and a second run;
3. that the figures the reports are built from (per org, month, B code: cases, results, redress,
   timeliness) are identical before and after, and the dry run's counts equal the run's.
Writes bench/results/retention-<date>.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voc.settings")
os.environ.setdefault("DJANGO_DEBUG", "0")
MEDIA = Path(os.environ.setdefault("VOC_MEDIA_ROOT", tempfile.mkdtemp(prefix="voc-retention-media-")))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

REPORT_FIGURES = """
SELECT responsible_org_id, date_trunc('month', received_at) AS m, code_b_id, count(*),
       count(*) FILTER (WHERE result <> ''), sum(redress_amount), count(*) FILTER (WHERE decision_timely),
       count(*) FILTER (WHERE is_repeat), count(first_response_at)
FROM complaints_complaint GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""


def generate(rows: int) -> float:
    from accounts import demo as accounts_demo
    from accounts.models import Organisation, User
    from complaints.models import ClassificationCode, Complaint
    from complaints.taxonomy_selectors import taxonomy_rows

    call_command("migrate", verbosity=0)
    if not Organisation.objects.filter(code="SZ").exists():
        accounts_demo.seed()
    if Complaint.objects.exists():
        raise SystemExit("the database already has complaints: use a fresh database (the run changes them)")
    leaf = {r.code for r in taxonomy_rows() if r.is_leaf}
    ids = {c.code: c.id for c in ClassificationCode.objects.filter(code__in=leaf)}
    pools = {ax: [ids[c] for c in ids if c.startswith(ax)] for ax in "ABC"}
    orgs = list(Organisation.objects.exclude(kind="head_office").values_list("id", flat=True))
    agent = User.objects.get(username="agent").id
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            """INSERT INTO complaints_customer (name, surname, title, mobile_hash, mobile_masked, id_number_hash,
                   id_number_masked, mobile_encrypted, id_number_encrypted, created_at)
               SELECT '张' || g, '张', 'mr', md5(g::text), '138****' || lpad(mod(g, 10000)::text, 4, '0'), '', '',
                   'gAAAA' || md5(g::text), '', now()
               FROM generate_series(1, %s) g""",
            [rows],
        )
        cur.execute("SELECT min(id) FROM complaints_customer")
        first_customer = cur.fetchone()[0]
        cur.execute(
            """
            INSERT INTO complaints_complaint (reference, channel, regulator_reference, code_a_id, code_b_id, code_c_id,
                is_elderly, is_repeat, is_regulator_referred, is_group_impact, has_media_risk, summary, details,
                search_grams, demand, received_at, accepted_at, customer_id, responsible_org_id, created_by_id, status,
                extension_level, paused_days, first_response_at, decided_at, responded_at, closed_at, result,
                redress_amount, redress_type, decision_timely, created_at, updated_at)
            SELECT 'VOC-R-' || lpad(g::text, 8, '0'), 'hotline', '', (%(a)s::bigint[])[1 + mod(g * 7, %(na)s)],
                (%(b)s::bigint[])[1 + mod(g * 13, %(nb)s)], (%(c)s::bigint[])[1 + mod(g * 17, %(nc)s)],
                false, mod(g, 16) = 0, false, false, false, '信用卡年费争议',
                '客户张' || g || '称卡号622202******7890被扣年费，住幸福路' || g || '号', '', 'explanation', ts,
                ts + interval '1 hour', %(cust)s + g - 1, (%(orgs)s::bigint[])[1 + mod(g, %(norg)s)], %(agent)s,
                CASE WHEN mod(g, 50) = 0 THEN 'investigating' ELSE 'closed' END, 0, 0, ts + interval '2 hours',
                ts + interval '8 days', ts + interval '9 days',
                CASE WHEN mod(g, 50) = 0 THEN NULL ELSE ts + interval '10 days' END,
                CASE WHEN mod(g, 50) = 0 THEN '' ELSE (ARRAY['upheld','partly_upheld','not_upheld'])[1 + mod(g, 3)] END,
                CASE WHEN mod(g, 3) = 0 THEN 100 + mod(g, 500) END, '', mod(g, 7) <> 0, ts, ts
            FROM (SELECT g, now() - (g::double precision / %(rows)s) * interval '1826 days' AS ts
                  FROM generate_series(1, %(rows)s) g) s
            """,
            {
                "a": pools["A"], "na": len(pools["A"]), "b": pools["B"], "nb": len(pools["B"]), "c": pools["C"],
                "nc": len(pools["C"]), "orgs": orgs, "norg": len(orgs), "agent": agent, "rows": rows,
                "cust": first_customer,
            },
        )  # fmt: skip
        cur.execute(
            """INSERT INTO workflow_casetransition (complaint_id, action, from_state, to_state, actor_id, reason, data, at)
               SELECT id, 'close', 'responded', 'closed', %s, '已电话告知' || customer_id, '{}', closed_at
               FROM complaints_complaint WHERE closed_at IS NOT NULL""",
            [agent],
        )
        cur.execute(
            """INSERT INTO complaints_regulatorinquiry (complaint_id, reference, opened_on, note, recorded_at)
               SELECT id, 'JG-' || id, (closed_at + interval '1000 days')::date, '', now()
               FROM complaints_complaint WHERE mod(id, 100) = 1"""
        )
        cur.execute("SELECT id FROM complaints_complaint WHERE mod(id, 10) = 0 ORDER BY id")
        with_recording = [r[0] for r in cur.fetchall()]
    for folder in ("original", "redacted"):
        (MEDIA / "recordings" / folder).mkdir(parents=True, exist_ok=True)
    recs = []
    for cid in with_recording:
        sha = f"{cid:064d}"
        for folder in ("original", "redacted"):
            (MEDIA / "recordings" / folder / f"{sha}.wav").write_bytes(b"RIFF" + bytes(2000))
        recs.append((cid, sha))
    with connection.cursor() as cur:
        cur.execute(
            """INSERT INTO recordings_callrecording (complaint_id, owner_org_id, file, original_name, size_bytes, sha256,
                   audio_format, duration_s, direction, channel, language, status, failure_reason, attempts, losses,
                   engine, model_name, detected_language, redacted_file, redaction, redaction_note, sensitive_count,
                   mute_spans, muted_seconds, suspect, suspect_hits, created_at, updated_at)
               SELECT c.id, c.responsible_org_id, 'recordings/original/' || r.sha || '.wav', 'call-' || c.id || '.wav',
                   2004, r.sha, 'wav', 60, 'inbound', 'hotline', 'zh', 'done', '', 1, 0, '', '', 'zh',
                   'recordings/redacted/' || r.sha || '.wav', 'ok', '', 1, '[]', '{}', '', '[]', now(), now()
               FROM unnest(%s::bigint[], %s::text[]) AS r(cid, sha) JOIN complaints_complaint c ON c.id = r.cid""",
            [[c for c, _ in recs], [s for _, s in recs]],
        )
        cur.execute(
            """INSERT INTO recordings_transcriptsegment (recording_id, index, start, "end", text_original,
                   text_redacted, words, has_sensitive)
               SELECT id, i, i * 5, i * 5 + 5, '我的卡号是六二二二', '我的卡号是[卡号]', '[]', true
               FROM recordings_callrecording, generate_series(0, 1) i"""
        )
        cur.execute("ANALYZE")
    return time.perf_counter() - t0


def explain(sql: str) -> str:
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(r[0] for r in cur.fetchall())


def figures() -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(REPORT_FIGURES)
        return cur.fetchall()


def main() -> None:
    from complaints.models import Complaint
    from complaints.services.retention import retention_candidates, retention_policy, retention_run

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("run on PostgreSQL (DATABASE_URL)")
    generated = generate(args.rows)
    print(f"generated {args.rows:,} cases in {generated:.0f} s", flush=True)
    policy = retention_policy()
    today = timezone.localdate()
    candidates = retention_candidates(policy, today)
    sql, params = candidates.order_by("pk").values_list("pk", flat=True)[: policy.batch_size].query.sql_with_params()
    with connection.cursor() as cur:
        plan = explain(cur.mogrify(sql, params))
    before = figures()
    files_before = sum(1 for _ in MEDIA.rglob("*.wav"))

    results = []
    t0 = time.perf_counter()
    dry = retention_run(apply=False, policy=policy, today=today)
    results.append(
        ("dry run", f"{time.perf_counter() - t0:.1f} s; would anonymise {dry.cases:,}, held {dict(dry.held)}")
    )
    print(results[-1], flush=True)
    queries = []
    with connection.execute_wrapper(
        lambda execute, sql, params, many, context: (queries.append(1), execute(sql, params, many, context))[1]
    ):
        t0 = time.perf_counter()
        run = retention_run(apply=True, policy=policy, today=today)
        secs = time.perf_counter() - t0
    batches = -(-(run.cases + sum(run.held.values())) // policy.batch_size)
    results.append(
        (
            "apply",
            f"{secs:.1f} s = {run.cases / secs:,.0f} cases/s; {run.recordings:,} recordings, {run.files:,} files, "
            f"{run.transcript_segments:,} segments, {run.customers_removed:,} customers; "
            f"{len(queries):,} queries (~{len(queries) / max(batches, 1):.0f} per batch of "
            f"{policy.batch_size})",
        )
    )
    print(results[-1], flush=True)
    t0 = time.perf_counter()
    again = retention_run(apply=True, policy=policy, today=today)
    results.append(("second run", f"{time.perf_counter() - t0:.1f} s; {again.cases} cases, held {dict(again.held)}"))
    print(results[-1], flush=True)
    same_counts = {k: v for k, v in dry.as_detail().items() if k not in ("dry_run", "completed")} == {
        k: v for k, v in run.as_detail().items() if k not in ("dry_run", "completed")
    }
    after = figures()
    files_after = sum(1 for _ in MEDIA.rglob("*.wav"))
    results += [
        ("dry-run counts equal the run's", str(same_counts)),
        ("report figures identical before/after (org x month x B code groups)", f"{before == after} ({len(before):,} groups)"),
        ("audio files on disk before / after", f"{files_before:,} / {files_after:,}"),
        ("cases still carrying the customer's name in details", str(Complaint.objects.filter(
            anonymised_at__isnull=False, details__contains="幸福路").count())),
    ]  # fmt: skip
    out = ROOT / "bench" / "results" / f"retention-{date.today().isoformat()}.md"
    lines = [
        f"# Retention benchmark, {date.today().isoformat()}",
        "",
        f"Machine: {platform.node()} ({os.cpu_count()} CPUs), PostgreSQL {connection.pg_version}; "
        f"{args.rows:,} cases over 5 years (2 % open, 1 % under an open inquiry, 10 % with a recording); "
        f"policy {policy.action} after {policy.min_years} years, batch {policy.batch_size}; data generated in "
        f"{generated:.0f} s.",
        "",
        "| measure | result |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in results),
        "",
        "Candidate query (one batch):",
        "",
        "```",
        plan,
        "```",
    ]
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
