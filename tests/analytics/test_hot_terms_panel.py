"""The TOP page's hot-topic panel (issue 16): scope, per-business-code breakdown, the view."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.urls import reverse

from analytics import hot_counts, selectors
from analytics.periods import Period
from recordings.models import CallRecording, TranscriptSegment

from .conftest import at, make_case

WEEK = date(2026, 11, 30)  # the judged week (PINNED_TODAY is Monday 7 Dec)
PERIOD = Period("week", WEEK, WEEK + timedelta(days=6))
BACKGROUND = ["我想查询一下贷款利率", "转账一直没有到账", "网点排队时间太长", "存款证明怎么开", "理财产品收益太低"]


def _calls(org, *, planted: str, planted_now: int, seed: int, case=None, owner=None) -> None:
    """27 weeks of 15-25 calls of ``org`` (linked to ``case`` or unlinked, uploaded at ``owner``),
    ``planted`` said in ``planted_now`` calls of the judged week and at most one a week before."""
    rng = random.Random(seed)
    recs, texts = [], []
    for w in range(26, -1, -1):
        monday = WEEK - timedelta(weeks=w)
        n = rng.randint(15, 25)
        plant = planted_now if w == 0 else rng.choice([0, 0, 1])
        for i in range(n):
            k = CallRecording.objects.count() + len(recs)
            recs.append(
                CallRecording(
                    complaint=case,
                    owner_org=owner or org,
                    file=f"recordings/original/hot{k}.wav",
                    size_bytes=1,
                    sha256=f"hot{seed}{k:060d}"[-64:],
                    status=CallRecording.Status.DONE,
                    call_started_at=at(monday + timedelta(days=i % 7)),
                )
            )
            parts = rng.sample(BACKGROUND, 2) + ([planted] if i < plant else [])
            texts.append("，".join(parts) + "，卡号[卡号已隐去]")
    CallRecording.objects.bulk_create(recs)
    TranscriptSegment.objects.bulk_create(
        TranscriptSegment(recording=r, index=0, start=0, end=1, text_original="-", text_redacted=t)
        for r, t in zip(recs, texts, strict=True)
    )


@pytest.fixture
def calls(org_tree, today):
    bj_case = make_case(org_tree.bj, WEEK, b="B0101", c="C0101")
    _calls(org_tree.bj, planted="手机银行闪退了", planted_now=10, seed=1, case=bj_case)
    _calls(org_tree.sh, planted="积分兑换失败了", planted_now=10, seed=2)
    hot_counts.rebuild()  # bulk_create sends no signals: the backfill counts them
    return bj_case


def _terms(user, org_code=None) -> set[str]:
    panel = selectors.hot_terms_for(selectors.resolve_scope(user, org_code), PERIOD)
    return {r.term.term for r in panel.rows}


def _has(terms: set[str], word: str) -> bool:
    return any(word in t for t in terms)


def test_branch_sees_only_its_own_calls(users, calls):
    bj = _terms(users["bj_manager"])
    sh = _terms(users["sh_manager"])
    assert _has(bj, "闪退") and not _has(bj, "兑换")
    assert _has(sh, "兑换") and not _has(sh, "闪退")
    ho = _terms(users["ho_officer"])
    assert _has(ho, "闪退") and _has(ho, "兑换")
    # head office narrowed to a branch sees that branch's calls only
    assert not _has(_terms(users["ho_officer"], "SH"), "闪退")


def test_masks_are_not_terms_and_codes_come_from_the_linked_case(users, calls):
    panel = selectors.hot_terms_for(selectors.resolve_scope(users["ho_officer"], None), PERIOD)
    assert not any("隐去" in r.term.term for r in panel.rows)
    bj_row = next(r for r in panel.rows if "闪退" in r.term.term)
    # the phrase, recounted in the calls that say it, not its overlapping pieces
    assert bj_row.term.term == "手机银行闪退", [r.term.term for r in panel.rows]
    assert not any(r.term.term != "手机银行闪退" and r.term.term in "手机银行闪退" for r in panel.rows)
    assert [(c.code, c.calls) for c in bj_row.codes] == [("B0101", 10)] and bj_row.unlinked == 0
    sh_row = next(r for r in panel.rows if "兑换" in r.term.term)
    assert sh_row.codes == () and sh_row.unlinked == 10
    assert bj_row.term.week_count == 10 and bj_row.term.expected < 3


def test_panel_view_and_top_page_slot(client, users, calls):
    client.force_login(users["bj_manager"])
    query = "kind=week&anchor=2026-12-01"
    top = client.get(reverse("analytics:top") + "?" + query)
    assert top.status_code == 200
    assert reverse("analytics:hot_terms") in top.content.decode()  # loaded by htmx, not inline
    assert "闪退" not in top.content.decode()
    resp = client.get(reverse("analytics:hot_terms") + "?" + query)
    body = resp.content.decode()
    assert resp.status_code == 200 and "闪退" in body and "兑换" not in body
    assert reverse("complaints:list") + "?q=" in body
