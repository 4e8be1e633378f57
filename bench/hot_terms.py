"""Hot-topic panel (issue 16): read latency of the former text scan against the weekly per-term
count table, in the same run, on PostgreSQL (not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h3_hot_bench \\
        .venv/bin/python bench/hot_terms.py [--calls-per-week 3000] [--samples 5] [--out bench/results/....md]

Builds its own database (migrate; ``seed_demo --quick`` for the orgs, users and cases) and, unless
the calls are there already, seeds 27 ISO weeks (26 baseline + the judged one) of transcribed calls
straight into the tables (bulk, no signals): each call has 2-4 customer segments and 2 agent
segments of generated Chinese speech (topics x complaints, masks, card digits), a tenth linked to
a demo case, spread over the branches; a phrase (手机银行闪退) is planted rising at one branch in
the judged week. Then:

- the backfill (``hot_counts.rebuild``), timed;
- the incremental cost: ``hot_counts.sync`` of one new call at a time (rolled back);
- the panel read, alternating call by call for head office and a branch manager, cache bypassed:
  old = every call's text of the 27 weeks split into terms in Python (``weeks_by_text_scan``) +
  the judgement; new = the panel as the page computes it (counts from the table + judgement +
  phrase recount + per-code breakdown). Wall time and query count per call; the weeks read both
  ways are compared term by term for the family.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voc.settings")
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

PLANT = "手机银行闪退"
PRODUCTS = [
    "信用卡",
    "借记卡",
    "房贷",
    "车贷",
    "理财产品",
    "基金",
    "保险",
    "存款",
    "转账",
    "手机银行",
    "网银",
    "柜台",
    "积分",
    "年费",
    "分期",
    "额度",
    "利息",
    "账单",
    "密码",
    "验证码",
    "短信通知",
    "自动还款",
    "外汇",
    "贵金属",
    "养老金",
    "社保卡",
    "公积金",
    "代发工资",
    "网点",
    "客服热线",
]
PROBLEMS = [
    "收费不合理",
    "一直没到账",
    "被冻结了",
    "扣款错误",
    "利率太高",
    "办理太慢",
    "态度很差",
    "没有通知我",
    "重复扣费",
    "无法登录",
    "额度被降",
    "退款迟迟不到",
    "销售误导",
    "信息泄露",
    "排队太久",
    "提前还款违约金",
    "逾期记录有误",
    "找不到人处理",
    "系统出错",
    "规则看不懂",
]
FILLER = [
    "我想问一下",
    "麻烦帮我看看",
    "这个事情",
    "上个月开始",
    "昨天晚上",
    "你们银行",
    "我已经打了好几次电话",
    "到底怎么回事",
    "希望尽快解决",
    "不然我就投诉",
    "请给我一个说法",
    "我很着急",
]
AGENT = [
    "您好这里是客服中心",
    "请问有什么可以帮您",
    "本次通话将被录音",
    "请您核实一下身份",
    "我帮您查询一下",
    "请您稍等",
    "感谢您的来电",
    "还有其他问题吗",
]


# the long tail of what people say: short stretches of common characters in random order
TAIL = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严"


def _tail(rng: random.Random) -> str:
    return "".join(rng.choice(TAIL[:200]) for _ in range(rng.randint(4, 8)))


def _customer(rng: random.Random, planted: bool) -> list[str]:
    segs = [_tail(rng)]
    for _ in range(rng.randint(2, 4)):
        parts = [rng.choice(FILLER), rng.choice(PRODUCTS) + rng.choice(PROBLEMS)]
        if rng.random() < 0.3:
            parts.append(f"卡号[卡号已隐去]尾号{rng.randint(1000, 9999)}")
        segs.append("，".join(parts))
    if planted:
        segs[rng.randrange(len(segs))] += f"，{PLANT}了，转不了账"
    return segs


def seed(calls_per_week: int, today: date, say) -> int:
    from accounts.models import Organisation
    from complaints.models import Complaint
    from recordings.models import CallRecording, TranscriptSegment

    if CallRecording.objects.filter(original_name__startswith="bench-hot-").exists():
        return 0
    rng = random.Random(16)
    orgs = list(Organisation.objects.filter(parent__isnull=False).order_by("code"))
    cases = list(Complaint.objects.exclude(code_b__isnull=True).values_list("pk", flat=True)[:200])
    plant_org = orgs[0]
    monday = today - timedelta(days=today.weekday())
    made = 0
    for w in range(26, -1, -1):
        start = monday - timedelta(weeks=w)
        recs, segs = [], []
        for i in range(calls_per_week):
            org = orgs[i % len(orgs)]
            planted = org == plant_org and (rng.random() < (0.06 if w == 0 else 0.004))
            day = start + timedelta(days=i % 7)
            started = timezone.make_aware(datetime.combine(day, dtime(8 + i % 10, i % 60)))
            n = made + i
            recs.append(
                CallRecording(
                    complaint_id=rng.choice(cases) if cases and rng.random() < 0.1 else None,
                    owner_org=org,
                    file=f"recordings/original/bench-hot-{n}.wav",
                    original_name=f"bench-hot-{n}.wav",
                    size_bytes=1,
                    sha256=f"benchhot{n:056d}",
                    call_started_at=started,
                    status=CallRecording.Status.DONE,
                )
            )
            segs.append(
                [("agent", t) for t in rng.sample(AGENT, 2)] + [("customer", t) for t in _customer(rng, planted)]
            )
        with transaction.atomic():
            CallRecording.objects.bulk_create(recs, batch_size=2000)
            TranscriptSegment.objects.bulk_create(
                (
                    TranscriptSegment(
                        recording=r,
                        index=k,
                        start=k * 5.0,
                        end=k * 5.0 + 4,
                        text_original="-",
                        text_redacted=text,
                        speaker=speaker,
                    )
                    for r, call in zip(recs, segs, strict=True)
                    for k, (speaker, text) in enumerate(call)
                ),
                batch_size=5000,
            )
        made += len(recs)
        say(f"  week {start}: {made} calls")
    return made


def plant_org_of(CallRecording):
    """The branch the phrase is planted at (the first bench call's org)."""
    first = CallRecording.objects.filter(original_name="bench-hot-0.wav").first()
    return first.owner_org if first else None


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def fmt(samples: list[tuple[float, int]]) -> str:
    ms = [s for s, _q in samples]
    return f"{statistics.median(ms):.0f} | {pct(ms, 95):.0f} | {max(ms):.0f} | {samples[0][1]}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls-per-week", type=int, default=3000)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--out", default="")
    parser.add_argument("--keep-counts", action="store_true", help="reuse the counts of an earlier run (no backfill)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run on PostgreSQL: set DATABASE_URL=postgres://...")

    from accounts.models import User
    from analytics import hot_counts, hot_terms
    from analytics.models import HotTermCall, HotTermCount
    from analytics.selectors import hot, resolve_scope
    from recordings.models import CallRecording, TranscriptSegment

    say = print
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    if not User.objects.exists():
        call_command("seed_demo", "--quick", verbosity=0)
    say(f"migrate + demo: {time.perf_counter() - t0:.0f} s")
    today = timezone.localdate()
    week = today - timedelta(days=today.weekday())
    t0 = time.perf_counter()
    made = seed(args.calls_per_week, today, say)
    seed_s = time.perf_counter() - t0
    calls = CallRecording.objects.filter(original_name__startswith="bench-hot-").count()
    segments = TranscriptSegment.objects.count()
    say(f"seeded {made} calls in {seed_s:.0f} s ({calls} bench calls, {segments} segments)")

    t0 = time.perf_counter()
    keep = args.keep_counts and HotTermCall.objects.exists()
    counted = HotTermCall.objects.count() if keep else hot_counts.rebuild()
    rebuild_s = 0.0 if keep else time.perf_counter() - t0
    rows = HotTermCount.objects.count()
    say(f"rebuild: {counted} calls, {rows} count rows in {rebuild_s:.1f} s")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")

    # incremental: one new call at a time, rolled back
    sync_ms: list[float] = []
    org = CallRecording.objects.filter(original_name__startswith="bench-hot-").first().owner_org
    rng = random.Random(7)
    with transaction.atomic():
        for i in range(50):
            rec = CallRecording.objects.create(
                owner_org=org,
                file=f"recordings/original/bench-hot-new-{i}.wav",
                size_bytes=1,
                sha256=f"benchnew{i:056d}",
                call_started_at=timezone.now(),
                status=CallRecording.Status.PROCESSING,
            )
            TranscriptSegment.objects.bulk_create(
                TranscriptSegment(
                    recording=rec, index=k, start=k, end=k + 1, text_original="-", text_redacted=t, speaker="customer"
                )
                for k, t in enumerate(_customer(rng, False))
            )
            rec.status = CallRecording.Status.DONE
            t1 = time.perf_counter()
            rec.save(update_fields=["status"])  # the hook counts it (post_save -> sync)
            sync_ms.append((time.perf_counter() - t1) * 1000)
        assert HotTermCall.objects.filter(recording_id=rec.pk).exists()
        transaction.set_rollback(True)

    users = {
        "head office": User.objects.filter(role_grants__role="ho_officer", is_active=True).first(),
        "branch manager": User.objects.filter(
            role_grants__role="branch_manager", is_active=True, org=plant_org_of(CallRecording)
        ).first()
        or User.objects.filter(role_grants__role="branch_manager", is_active=True).first(),
    }
    results: dict[tuple[str, str], list[tuple[float, int]]] = {}
    check: dict[str, str] = {}
    shown: dict[str, list[str]] = {}
    for who, user in users.items():
        scope = resolve_scope(user, None)
        a = hot.weeks_by_text_scan(scope, week)
        b = hot._weeks_from_table(scope, week)
        fam = {t for wk in b.values() for t in wk.terms}
        same_calls = {m: w.calls for m, w in a.items()} == {m: w.calls for m, w in b.items()}
        same_terms = all(a[m].terms.get(t, 0) == b[m].terms.get(t, 0) for m in b for t in fam)
        check[who] = (
            f"weeks {len(b)}, family terms {len(fam)}, calls per week equal: {same_calls}, family counts equal: {same_terms}"
        )
        for _ in range(args.samples):
            for how in ("old", "new"):
                with CaptureQueriesContext(connection) as ctx:
                    t1 = time.perf_counter()
                    if how == "old":
                        hot_terms.judge(hot.weeks_by_text_scan(scope, week), week)
                    else:
                        panel = hot._compute(scope, week)
                    ms = (time.perf_counter() - t1) * 1000
                results.setdefault((who, how), []).append((ms, len(ctx.captured_queries)))
        shown[who] = [r.term.term for r in panel.rows]
        # where the new read's time goes
        t1 = time.perf_counter()
        b = hot._weeks_from_table(scope, week)
        t2 = time.perf_counter()
        hot_terms.judge(b, week)
        t3 = time.perf_counter()
        check[who] += f"; new read split: table {1000 * (t2 - t1):.0f} ms, judge {1000 * (t3 - t2):.0f} ms"

    load = os.getloadavg()
    lines = [
        f"# Hot-topic panel: text scan vs weekly count table ({today.isoformat()})",
        "",
        f"`DATABASE_URL=… .venv/bin/python bench/hot_terms.py --calls-per-week {args.calls_per_week} --samples {args.samples}`",
        "",
        f"PostgreSQL {connection.pg_version}, Python {platform.python_version()}, 2 cores shared, "
        f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}.",
        "",
        "## Data",
        f"- {calls} calls over 27 ISO weeks ({args.calls_per_week} a week), {segments} transcript segments "
        f"(2 agent + 2-4 customer per call), ~10 % linked to a demo case; {PLANT} planted rising at one branch.",
        f"- Seeding {seed_s:.0f} s (0 = already there). Backfill `hot_terms_rebuild`: {counted} calls -> "
        f"{rows} count rows in {rebuild_s:.1f} s.",
        f"- Incremental count of one stored transcript (post_save -> `hot_counts.sync`, 50 calls): median "
        f"{statistics.median(sync_ms):.1f} ms, p95 {pct(sync_ms, 95):.1f} ms.",
        "",
        "## Panel read (cache bypassed), ms",
        "",
        "| who | read | median | p95 | max | queries |",
        "|---|---|---|---|---|---|",
    ]
    for (who, how), samples in results.items():
        label = "old: text scan + judge" if how == "old" else "new: table + judge + phrases + codes"
        lines.append(f"| {who} | {label} | {fmt(samples)} |")
    lines += ["", "## Checks"]
    for who in users:
        lines.append(f"- {who}: {check[who]}; shown: {', '.join(shown[who]) or '-'}")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
