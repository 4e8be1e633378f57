"""Does a call transcript sound like a complaint? Phrase rules with an explanation per hit.

Pure (no Django). The rules are deliberately simple and visible: an officer reading
the suspected-complaints queue sees which words triggered it and why, and decides.
A call is suspected when the summed weight of distinct rules reaches ``THRESHOLD``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Rule:
    key: str
    pattern: str  # regular expression, matched case-insensitively
    weight: int
    reason_zh: str
    reason_en: str


RULES: tuple[Rule, ...] = (
    Rule("complain", r"投诉|客诉|complain(?:t|ts|ing)?", 3, "客户明确提出投诉", "customer says complaint"),
    Rule(
        "regulator",
        r"12378|银保监|金融监管|监管(?:部门|局|机构)?|人民银行|regulator",
        3,
        "提及监管或12378热线",
        "mentions the regulator / 12378",
    ),
    Rule(
        "unhappy",
        r"不满意|很不满|太不像话|不合理|unhappy|not satisfied|unacceptable",
        2,
        "表达不满",
        "expresses dissatisfaction",
    ),
    Rule(
        "fee",
        r"乱收费|多收|扣了?我|乱扣|莫名其妙.{0,4}(?:扣|收)|overcharg\w*|hidden fee",
        2,
        "收费争议",
        "disputed charge",
    ),
    Rule(
        "refund", r"退款|退钱|退还|赔偿|refund|compensat\w*", 2, "要求退款或赔偿", "asks for a refund or compensation"
    ),
    Rule("media", r"媒体|曝光|报社|记者|微博|抖音|journalist|media", 2, "舆情风险：提及媒体曝光", "media risk"),
    Rule("legal", r"律师|起诉|法院|报警|lawyer|sue\b|court|police", 2, "提及法律途径", "mentions legal action"),
    Rule(
        "repeat",
        r"(?:第[二三四五几]次|又一次|还是没|一直没|again and again|still not)",
        1,
        "反复来电或未解决",
        "repeated, still unresolved",
    ),
    Rule(
        "fraud",
        r"盗刷|被骗|诈骗|不是我(?:本人)?(?:操作|消费)|fraud|scam|unauthori[sz]ed",
        2,
        "盗刷或欺诈争议",
        "fraud / unauthorised use",
    ),
    Rule(
        "manager",
        r"找你们(?:领导|经理|行长)|叫你们(?:领导|经理)|your (?:manager|supervisor)",
        1,
        "要求找领导",
        "asks for a manager",
    ),
)
THRESHOLD = 3
_COMPILED = [(rule, re.compile(rule.pattern, re.IGNORECASE)) for rule in RULES]


@dataclass(frozen=True)
class Hit:
    rule: str
    phrase: str
    segment: int  # index of the segment the phrase was found in
    start_s: float
    weight: int
    reason_zh: str
    reason_en: str


def scan(segments: list[tuple[float, str]]) -> tuple[int, list[Hit]]:
    """``segments``: (start seconds, text). Returns (score, hits); each rule counts once
    towards the score, but every place it fired is listed (first five per rule)."""
    hits: list[Hit] = []
    per_rule: dict[str, int] = {}
    for index, (start_s, text) in enumerate(segments):
        for rule, rx in _COMPILED:
            for m in rx.finditer(text):
                if per_rule.get(rule.key, 0) >= 5:
                    break
                per_rule[rule.key] = per_rule.get(rule.key, 0) + 1
                hits.append(Hit(rule.key, m.group(0), index, start_s, rule.weight, rule.reason_zh, rule.reason_en))
    score = sum(rule.weight for rule in RULES if rule.key in per_rule)
    return score, hits


def is_suspected(score: int) -> bool:
    return score >= THRESHOLD


def hits_as_json(hits: list[Hit]) -> list[dict]:
    return [asdict(h) for h in hits]
