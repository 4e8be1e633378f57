"""Demo complaints: a year of realistic intake, in bulk (no per-row service calls).

Mix: credit cards about half; channels weighted to the hotline; ~5% regulator-forwarded;
~6% repeats (same customer + B code within 90 days); spread over branches and
sub-branches. Spikes the analytics can find: at SZ, B030202 (credit-card fees) is about
doubled in the last full month and the current month; a mobile-app outage (A0303/C0601)
three months ago. Workflow states stay "registered" with no due date: the workflow demo moves them
on and sets every case's decision due date by its clock (complaints imports no workflow).
Idempotent: does nothing if complaints already exist.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, User

from . import crypto, pii
from .grams import cjk_grams
from .models import ClassificationCode, Complaint, Customer, CustomerCard, ReferenceCounter

B_WEIGHTS = {
    # Credit cards (B0302xx) ≈ 50%.
    "B030201": 5, "B030202": 12, "B030203": 10, "B030204": 6, "B030205": 5, "B030206": 2, "B030207": 5, "B030208": 5,
    "B030101": 2, "B030102": 3, "B030103": 2, "B030104": 1, "B030105": 2,
    "B0101": 2, "B0102": 1, "B0103": 3, "B0201": 3, "B0202": 3, "B0203": 1, "B0204": 2,
    "B0401": 2, "B0402": 1, "B0403": 3, "B0404": 1, "B0501": 1, "B0502": 1, "B0503": 1,
    "B0601": 2, "B0602": 1, "B0603": 2, "B0701": 3, "B0702": 1, "B0703": 2, "B0704": 1, "B99": 1,
}  # fmt: skip
C_FOR_B = {
    "B030202": ["C03", "C03", "C03", "C0103", "C04"], "B030203": ["C0202", "C0201", "C10"],
    "B030204": ["C0201", "C0202", "C03"], "B030205": ["C08", "C0101", "C09"], "B030207": ["C0501", "C0502", "C0503"],
    "B030208": ["C07", "C07", "C0101"], "B030201": ["C0201", "C08", "C0103"], "B0602": ["C10"], "B0603": ["C0503", "C10"],
    "B0701": ["C0501", "C04"], "B0703": ["C0502", "C0501"], "B0202": ["C03", "C04", "C0201"], "B030102": ["C0202", "C0602"],
}  # fmt: skip
C_DEFAULT = ["C0101", "C0102", "C0103", "C0201", "C0202", "C03", "C04", "C08", "C99"]
CHANNELS = [("hotline", 55), ("counter", 12), ("app", 12), ("wechat", 6), ("web", 5), ("email", 2), ("letter", 1)]
A_FOR_CHANNEL = {
    "hotline": ["A0302", "A0302", "A0303", "A0101", "A0201"], "counter": ["A0101", "A0102", "A0103"],
    "app": ["A0303"], "wechat": ["A0304", "A0303"], "web": ["A0301", "A0303"], "email": ["A0301", "A99"],
    "letter": ["A0101", "A99"], "regulator": ["A0302", "A0303", "A0101", "A0403"],
}  # fmt: skip
TEXT = {
    "B030202": ("信用卡年费争议", "客户称未激活信用卡即被收取年费，要求退还并取消年费。"),
    "B030203": ("信用卡交易争议", "客户对一笔境外消费不认可，认为系盗刷，要求调查并退款。"),
    "B030204": ("信用卡还款入账延迟", "客户按时还款但系统显示逾期，产生滞纳金及征信影响。"),
    "B030205": ("信用卡额度被降低", "客户额度被无故降低且未收到通知，影响日常使用。"),
    "B030207": ("分期营销误导", "客服推荐分期时未说明手续费率，客户认为存在误导。"),
    "B030208": ("催收方式不当", "第三方催收人员频繁致电客户亲友，言语不当。"),
    "B0602": ("个人信息泄露", "客户怀疑个人信息被泄露，频繁接到推销电话。"),
    "B0701": ("理财产品亏损", "客户称购买理财时被告知保本，现出现亏损。"),
}
DEFAULT_TEXT = ("{name}问题", "客户反映{name}相关问题，要求解释并处理。")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅"
BRANCH_WEIGHTS = {"BJ": 25, "SH": 25, "GZ": 20, "SZ": 18, "CD": 12}
SPIKE_BRANCH, SPIKE_CODE = "SZ", "B030202"


def _month_start(day: dt.date, back: int = 0) -> dt.date:
    y, m = day.year, day.month - back
    while m <= 0:
        y, m = y - 1, m + 12
    return dt.date(y, m, 1)


def seed(stdout=None, options=None) -> None:
    options = options or {}
    if Complaint.objects.exists():
        if stdout:
            stdout.write("complaints: demo cases exist, skipped")
        return
    total = 300 if options.get("quick") else int(options.get("complaints") or 20000)
    rng = random.Random(20260301)
    with transaction.atomic():
        created = _seed(total, rng)
    if stdout:
        stdout.write(f"complaints: {created} demo cases")


def _seed(total: int, rng: random.Random) -> int:
    codes = {c.code: c for c in ClassificationCode.objects.all()}
    orgs = {o.code: o for o in Organisation.objects.all()}
    ho = orgs.get("HO")
    branches = [code for code in BRANCH_WEIGHTS if code in orgs]
    if not branches or ho is None:
        return 0
    subtree = {b: [o for o in orgs.values() if o.path.startswith(orgs[b].path)] for b in branches}
    agent = User.objects.filter(username="agent").first()
    now = timezone.localtime()
    today = now.date()
    spike_from = _month_start(today, 1)  # last full month + this month
    outage_from, outage_to = _month_start(today, 3), _month_start(today, 2)
    b_codes, b_weights = zip(*[(c, w) for c, w in B_WEIGHTS.items() if c in codes], strict=True)
    ch_codes, ch_weights = zip(*CHANNELS, strict=True)

    plan = []  # (received_at, branch, b, channel, a, c)
    for _ in range(total):
        day = today - dt.timedelta(days=rng.randrange(365))
        plan.append(
            (day, rng.choices(branches, [BRANCH_WEIGHTS[b] for b in branches])[0], rng.choices(b_codes, b_weights)[0])
        )
    # The spike: double SZ's B030202 in the spike window (as many extra cases as it already has).
    extra = [p for p in plan if p[1] == SPIKE_BRANCH and p[2] == SPIKE_CODE and p[0] >= spike_from]
    plan += [(spike_from + dt.timedelta(days=rng.randrange((today - spike_from).days + 1)), SPIKE_BRANCH, SPIKE_CODE)
             for _ in range(max(len(extra), 3))]  # fmt: skip
    # A mobile-app outage month: extra app complaints everywhere.
    span = (outage_to - outage_from).days
    plan += [
        (outage_from + dt.timedelta(days=rng.randrange(span)), rng.choice(branches), "B0403")
        for _ in range(total // 60)
    ]

    customers = _customers(max(20, int(len(plan) * 0.7)), rng, orgs, branches)
    stamps = []
    for day, branch, b in plan:
        moment = dt.datetime.combine(day, dt.time(rng.randrange(8, 22), rng.randrange(60), rng.randrange(60)))
        received = timezone.make_aware(moment)
        if received > now:
            received = now - dt.timedelta(minutes=rng.randrange(1, 600))
        stamps.append((received, branch, b))
    stamps.sort()

    counters = defaultdict(int)
    recent: list[Complaint] = []
    made = 0
    batch: list[Complaint] = []
    window = dt.timedelta(days=settings.COMPLAINT_REPEAT_WINDOW_DAYS)
    for i, (received, branch, b) in enumerate(stamps):
        channel = "regulator" if rng.random() < 0.05 else rng.choices(ch_codes, ch_weights)[0]
        is_outage = b == "B0403" and outage_from <= received.date() < outage_to
        a = "A0303" if is_outage else rng.choice(A_FOR_CHANNEL[channel])
        c = "C0601" if is_outage else rng.choice(C_FOR_B.get(b, C_DEFAULT))
        repeat_of = None
        if recent and rng.random() < 0.06:
            earlier = recent[-rng.randrange(1, min(len(recent), 400) + 1)]
            if received - earlier.received_at <= window:
                repeat_of, b, branch = earlier, earlier.code_b.code, None
        customer = repeat_of.customer if repeat_of else customers[rng.randrange(len(customers))]
        org = repeat_of.responsible_org if repeat_of else rng.choice(subtree[branch])
        year = timezone.localtime(received).year
        counters[year] += 1
        summary, details = TEXT.get(b, DEFAULT_TEXT)
        name = codes[b].name_zh
        batch.append(
            Complaint(
                reference=f"VOC-{year}-{counters[year]:07d}",
                channel=channel,
                regulator_reference=f"JG-{year}-{rng.randrange(10**5):05d}" if channel == "regulator" else "",
                regulator_received_on=(received - dt.timedelta(days=rng.randrange(1, 4))).date()
                if channel == "regulator"
                else None,
                code_a=codes[a],
                code_b=codes[b],
                code_c=codes[c],
                is_elderly=rng.random() < 0.08,
                is_repeat=repeat_of is not None,
                is_regulator_referred=channel == "regulator",
                is_group_impact=rng.random() < 0.01,
                has_media_risk=rng.random() < 0.02,
                summary=summary.format(name=name),
                details=details.format(name=name),
                search_grams=cjk_grams(summary.format(name=name), details.format(name=name)),
                demand=rng.choice(Complaint.Demand.values),
                disputed_amount=rng.choice([None, None, 100, 300, 680, 1200, 5000]),
                received_at=received,
                accepted_at=received + dt.timedelta(minutes=rng.randrange(1, 30)),
                customer=customer,
                responsible_org=org,
                created_by=None if channel == "web" else agent,
                repeat_of=repeat_of,
            )
        )
        if len(batch) >= min(2000, max(40, total // 10)) or i == len(stamps) - 1:
            Complaint.objects.bulk_create(batch, batch_size=1000)
            recent = (recent + batch)[-2000:]
            made += len(batch)
            batch = []
    for year, last in counters.items():
        ReferenceCounter.objects.update_or_create(year=year, defaults={"last": last})
    return made


def _customers(n: int, rng: random.Random, orgs, branches) -> list[Customer]:
    key = settings.PII_HASH_KEY
    homes = [o for o in orgs.values() if o.kind != Organisation.Kind.HEAD_OFFICE]
    people, cards = [], []
    for i in range(n):
        surname = SURNAMES[rng.randrange(len(SURNAMES))]
        mobile = f"1{rng.choice('3456789')}{i:09d}"[:11]
        title = rng.choice([Customer.Title.MR, Customer.Title.MS])
        people.append(
            Customer(
                name=surname + GIVEN[rng.randrange(len(GIVEN))] + (GIVEN[rng.randrange(len(GIVEN))] if i % 2 else ""),
                surname=surname,
                title=title,
                mobile_hash=pii.keyed_hash(mobile, key),
                mobile_masked=pii.mask_mobile(mobile),
                mobile_encrypted=crypto.encrypt(mobile),
                home_org=rng.choice(homes) if rng.random() < 0.8 else None,
            )
        )
    Customer.objects.bulk_create(people, batch_size=2000)
    for person in people:
        if rng.random() < 0.6:
            cards.append(
                CustomerCard(
                    customer=person,
                    kind=CustomerCard.Kind.CREDIT,
                    first6=rng.choice(["622588", "625907", "628288"]),
                    last4=f"{rng.randrange(10000):04d}",
                    issuing_org=person.home_org,
                )
            )
    CustomerCard.objects.bulk_create(cards, batch_size=2000)
    return people
