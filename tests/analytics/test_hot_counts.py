"""The hot-topic panel's weekly per-term call counts (issue 16): kept in step incrementally by the
hooks (transcript stored, call linked, case moved or re-coded, transcript replaced, call deleted)
so that they always equal a recount from the text, read the same as the former text scan, and
never hold a number or anything the redacted text does not say."""

from __future__ import annotations

import random
from datetime import date, timedelta

from analytics import hot_counts
from analytics.models import HotTermCall, HotTermCount
from analytics.selectors import hot, resolve_scope
from complaints.models import Complaint
from complaints.signals import complaints_changed
from recordings.models import CallRecording, TranscriptSegment

from .conftest import at, code, make_case

WEEK = date(2026, 11, 30)
SAYS = [
    "我想查询一下贷款利率",
    "转账一直没有到账",
    "网点排队时间太长",
    "信用卡年费太贵",
    "手机银行闪退了",
    "积分兑换失败",
]
_n = iter(range(10**6))


def _recording(org, day: date, texts: list[tuple[str, str]], *, case=None, done=True) -> CallRecording:
    """A call stored the way the transcription job stores one: segments, then the status saved."""
    k = next(_n)
    rec = CallRecording.objects.create(
        complaint=case,
        owner_org=org,
        file=f"recordings/original/hc{k}.wav",
        size_bytes=1,
        sha256=f"hc{k:062d}",
        status=CallRecording.Status.PROCESSING,
        call_started_at=at(day),
    )
    _store(rec, texts)
    if done:
        rec.status = CallRecording.Status.DONE
        rec.save()
    return rec


def _store(rec: CallRecording, texts: list[tuple[str, str]]) -> None:
    rec.segments.all().delete()
    TranscriptSegment.objects.bulk_create(
        TranscriptSegment(recording=rec, index=i, start=i, end=i + 1, text_original=t, text_redacted=t, speaker=s)
        for i, (s, t) in enumerate(texts)
    )


def _snapshot() -> tuple[set, set]:
    counts = set(HotTermCount.objects.values_list("week", "org_id", "code_id", "term", "calls"))
    calls = set(HotTermCall.objects.values_list("recording_id", "week", "org_id", "code_id", "transcript_key"))
    return counts, calls


def _texts(rng: random.Random) -> list[tuple[str, str]]:
    speaker = rng.choice(["customer", "unknown"])
    out = [(speaker, "，".join(rng.sample(SAYS, 2)))]
    if speaker == "customer":
        out.append(("agent", "您好请问有什么可以帮您，网银登录异常"))
    return out


def test_incremental_counts_equal_a_recount_after_random_changes(org_tree, today):
    rng = random.Random(16)
    cases = [make_case(org_tree.bj, WEEK, b="B0101", c="C0101"), make_case(org_tree.sh, WEEK, b="B0102", c="C0101")]
    orgs = [org_tree.bj, org_tree.sh]
    recs = [
        _recording(
            rng.choice(orgs), WEEK - timedelta(days=rng.randint(0, 20)), _texts(rng), case=rng.choice([None, *cases])
        )
        for _ in range(25)
    ]
    assert HotTermCall.objects.count() == 25 and HotTermCount.objects.exists()
    for _step in range(60):
        op = rng.choice(["new", "link", "unlink", "move_case", "recode", "retranscribe", "redate", "delete", "fail"])
        rec = rng.choice(recs)
        if op == "new":
            recs.append(_recording(rng.choice(orgs), WEEK - timedelta(days=rng.randint(0, 20)), _texts(rng)))
        elif op == "link":
            rec.complaint = rng.choice(cases)
            rec.save(update_fields=["complaint"])
        elif op == "unlink":
            rec.complaint = None
            rec.save(update_fields=["complaint"])
        elif op in ("move_case", "recode"):
            case = rng.choice(cases)
            if op == "move_case":
                Complaint.objects.filter(pk=case.pk).update(responsible_org=rng.choice(orgs))
            else:
                Complaint.objects.filter(pk=case.pk).update(code_b=code(rng.choice(["B0101", "B0102", "B0201"])))
            complaints_changed.send(sender="test", complaint_ids=[case.pk])
        elif op == "retranscribe":
            _store(rec, _texts(rng))
            rec.save()
        elif op == "redate":
            rec.call_started_at = at(WEEK - timedelta(days=rng.randint(0, 20)))
            rec.save(update_fields=["call_started_at"])
        elif op == "delete":
            recs.remove(rec)
            rec.delete()
        elif op == "fail":
            rec.status = CallRecording.Status.FAILED
            rec.save(update_fields=["status"])
        for r in recs:
            r.refresh_from_db()
    incremental = _snapshot()
    hot_counts.rebuild()
    assert incremental == _snapshot()
    assert len(incremental[1]) == CallRecording.objects.filter(status=CallRecording.Status.DONE).count()


def test_the_table_reads_as_the_text_scan(org_tree, users, today):
    rng = random.Random(3)
    case = make_case(org_tree.bj, WEEK, b="B0101", c="C0101")
    for w in range(27):
        for i in range(6):
            org = org_tree.bj if i % 2 else org_tree.sh
            _recording(org, WEEK - timedelta(weeks=w, days=-(i % 7)), _texts(rng), case=case if i == 1 else None)
    for who in ("ho_officer", "bj_manager", "sh_manager"):
        scope = resolve_scope(users[who], None)
        scan = hot.weeks_by_text_scan(scope, WEEK)
        table = hot._weeks_from_table(scope, WEEK)
        assert {m: w.calls for m, w in scan.items()} == {m: w.calls for m, w in table.items()}
        family = {t for wk in table.values() for t in wk.terms}
        assert family and all(table[m].terms.get(t, 0) == scan[m].terms.get(t, 0) for m in table for t in family)
        assert {t for wk in scan.values() for t, n in wk.terms.items()} >= family
    sh_terms = {
        t for wk in hot._weeks_from_table(resolve_scope(users["sh_manager"], None), WEEK).values() for t in wk.terms
    }
    assert "网银" not in sh_terms  # the agent's words on a call with a customer channel are not counted


def test_only_redacted_customer_text_and_never_a_number(org_tree, today):
    rec = _recording(
        org_tree.bj,
        WEEK,
        [
            ("customer", "我的卡号是[卡号已隐去]，手机号幺三八零零一二三四五六，尾号6228，three four five"),
            ("agent", "请您报一下身份证号码"),
        ],
    )
    TranscriptSegment.objects.filter(recording=rec, speaker="customer").update(
        text_original="张三丰的卡号6228480012345678"
    )
    hot_counts.rebuild()
    terms = set(HotTermCount.objects.values_list("term", flat=True))
    assert terms and "手机号" in terms
    assert not any(ch.isdigit() for t in terms for ch in t)
    assert not any(sum(ch in "零〇一二三四五六七八九幺两" for ch in t) >= 2 for t in terms)
    assert not any("隐去" in t or "张三" in t or "身份" in t for t in terms)
    assert not ({"three", "four", "five", "three four"} & terms)
