"""Which organisation is responsible for a new case. Pure: no Django imports.

Rules are data (``complaints.RoutingRule``); this module only applies them, so the
intake service and the workflow's "route to branch" suggestion share one decision.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ORG, HOME_BRANCH, CARD_BRANCH = "org", "home_branch", "card_branch"


@dataclass(frozen=True)
class Rule:
    id: int
    priority: int
    code_b_prefix: str
    channel: str
    target: str
    target_org_id: int | None


@dataclass(frozen=True)
class Decision:
    org_id: int
    rule_id: int | None
    reason: str  # "rule", "home_branch" (default) or "head_office" (default)


def decide(
    rules: Iterable[Rule],
    *,
    code_b: str,
    channel: str,
    home_org_id: int | None,
    card_org_id: int | None,
    head_office_id: int,
) -> Decision:
    """First matching rule (lowest priority, then id) that can name an org wins.

    A rule matches when ``code_b`` starts with its prefix (empty = any) and its channel
    is empty or equal. A "home branch"/"card branch" rule whose org is unknown for this
    customer is skipped, so a later rule or the default still applies. Default: the
    customer's home branch if known, else head office.
    """
    for rule in sorted(rules, key=lambda r: (r.priority, r.id)):
        if rule.code_b_prefix and not code_b.startswith(rule.code_b_prefix):
            continue
        if rule.channel and rule.channel != channel:
            continue
        org_id = {ORG: rule.target_org_id, HOME_BRANCH: home_org_id, CARD_BRANCH: card_org_id}.get(rule.target)
        if org_id is not None:
            return Decision(org_id, rule.id, "rule")
    if home_org_id is not None:
        return Decision(home_org_id, None, HOME_BRANCH)
    return Decision(head_office_id, None, "head_office")
