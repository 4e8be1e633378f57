"""Reads of complaints and customers. Every one is scoped through ``accounts.selectors``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Organisation, User
from accounts.selectors import scope_by_path, scope_to_user

from . import crypto, pii, routing
from .models import Complaint, Customer, RoutingRule, SavedView
from .taxonomy_selectors import CodeRow, attach_codes, taxonomy_rows

FLAG_FIELDS = ("is_elderly", "is_repeat", "is_regulator_referred", "is_group_impact", "has_media_risk")
LIST_RELATED = ("code_a", "code_b", "code_c", "responsible_org", "customer")


def complaints_for(user: User) -> QuerySet[Complaint]:
    """All complaints this user may see (their org's subtree; head office: all)."""
    return scope_to_user(Complaint.objects.all(), user)


def complaint_get_for(user: User, reference: str) -> Complaint:
    """One case by reference, or Http404 if it does not exist OR is outside the user's scope."""
    try:
        return complaints_for(user).select_related(*LIST_RELATED, "created_by", "repeat_of").get(reference=reference)
    except Complaint.DoesNotExist:
        raise Http404 from None


# The one case page reads the case with everything its header and panels name (one query);
# its classification codes come from the cached taxonomy (four joins fewer to plan and run).
CASE_PAGE_RELATED = ("responsible_org", "customer", "created_by", "repeat_of", "assigned_to", "merged_into")
CASE_PAGE_CODES = ("code_a", "code_b", "code_c", "root_cause_code")


def case_page_get(user: User, pk: int) -> Complaint:
    """The case for the one case page, by id, or Http404 if it does not exist OR is outside the user's scope."""
    try:
        # Scoped by the organisation's path (joined anyway): no query for the user's subtree first.
        case = scope_by_path(Complaint.objects.all(), user).select_related(*CASE_PAGE_RELATED).get(pk=pk)
    except (Complaint.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    attach_codes(case, CASE_PAGE_CODES)
    return case


def case_relatives_for(user: User, case: Complaint, *, history: bool, limit: int = 10):
    """(the later repeats of ``case``, the customer's earlier cases newest first — at most
    ``limit``, only when ``history``), among the cases the user may see, in one query."""
    wanted = Q(repeat_of=case)
    if history and case.customer_id:
        earlier = Q(received_at__lt=case.received_at) | Q(received_at=case.received_at, pk__lt=case.pk)
        wanted |= Q(customer_id=case.customer_id) & earlier
    rows = list(
        scope_by_path(Complaint.objects.all(), user)  # as complaints_for, without reading the subtree first
        .filter(wanted)
        .exclude(pk=case.pk)
        .select_related("code_b", "responsible_org")
        .order_by("-received_at", "-id")
    )
    repeats = [c for c in rows if c.repeat_of_id == case.pk]
    others = [c for c in rows if history and c.customer_id == case.customer_id and c.repeat_of_id != case.pk]
    return repeats, others[:limit]


def case_id_for(user: User, reference: str) -> int:
    """The id of the case with this reference if the user may see it; otherwise Http404."""
    pk = complaints_for(user).filter(reference=reference).values_list("pk", flat=True).first()
    if pk is None:
        raise Http404
    return pk


# --- customers -------------------------------------------------------------------------


def customer_lookup(*, mobile: str = "", id_number: str = "") -> Customer | None:
    """Exact lookup by keyed hash (current or old key, see complaints.crypto); ValueError
    for a malformed number."""
    if id_number.strip():
        hashes = crypto.keyed_hash_candidates(pii.normalize_id_number(id_number))
        found = Customer.objects.filter(id_number_hash__in=hashes).order_by("id").first()
        if found:
            return found
    if mobile.strip():
        hashes = crypto.keyed_hash_candidates(pii.normalize_mobile(mobile))
        return Customer.objects.filter(mobile_hash__in=hashes).order_by("id").first()
    return None


_NUMBER_KINDS = ((pii.normalize_mobile, "mobile_hash"), (pii.normalize_id_number, "id_number_hash"))


def full_number(value: str) -> str | None:
    """``value`` as a normalised full mobile or ID number, or None if it is neither."""
    for normalize, _column in _NUMBER_KINDS:
        try:
            return normalize(value)
        except ValueError:
            continue
    return None


def customers_by_number(number: str) -> QuerySet[Customer] | None:
    """Customers whose mobile or ID number is ``number`` (exact, by keyed hash), or None
    when ``number`` is not a full mobile or ID number (then it is ordinary search text)."""
    for normalize, column in _NUMBER_KINDS:
        try:
            value = normalize(number)
        except ValueError:
            continue
        return Customer.objects.filter(**{f"{column}__in": crypto.keyed_hash_candidates(value)})
    return None


def customer_cases_for(user: User, customer: Customer, *, limit: int = 10) -> list[Complaint]:
    """The customer's earlier cases that this user may see, newest first."""
    qs = complaints_for(user).filter(customer=customer).select_related("code_b", "responsible_org")
    return list(qs.order_by("-received_at", "-id")[:limit])


def visible_repeat_refs(user: User, cases) -> dict[int, Complaint]:
    """The earlier cases that ``cases`` repeat, by id, limited to those this user may see (a
    repeat of another branch's case must not reveal that case), in one query."""
    ids = {c.repeat_of_id for c in cases if c.repeat_of_id}
    if not ids:
        return {}
    # "status" too: the FSM mixin reads it when a row loads (else one query per row)
    earlier = complaints_for(user).filter(pk__in=ids).only("reference", "received_at", "status")
    return {c.pk: c for c in earlier}


def repeat_candidate(*, customer: Customer, code_b_id: int, received_at: dt.datetime) -> Complaint | None:
    """The latest case of the same customer with the same B code within the repeat window."""
    since = received_at - dt.timedelta(days=settings.COMPLAINT_REPEAT_WINDOW_DAYS)
    return (
        Complaint.objects.filter(
            customer=customer, code_b_id=code_b_id, received_at__gte=since, received_at__lte=received_at
        )
        .order_by("-received_at", "-id")
        .first()
    )


# --- recently used codes -------------------------------------------------------------------


def recent_codes_for(user: User, *, per_axis: int = 6, scan: int = 40) -> dict[str, list[CodeRow]]:
    """The codes this agent used on their latest cases, most frequent first, per axis."""
    rows = {r.code: r for r in taxonomy_rows()}
    recent = list(
        Complaint.objects.filter(created_by=user)
        .order_by("-created_at")
        .values_list("code_a__code", "code_b__code", "code_c__code")[:scan]
    )
    out: dict[str, list[CodeRow]] = {}
    for i, axis in enumerate("ABC"):
        counts: dict[str, int] = {}
        for triple in recent:
            counts[triple[i]] = counts.get(triple[i], 0) + 1
        ranked = sorted(counts, key=lambda c: -counts[c])[:per_axis]
        out[axis] = [rows[c] for c in ranked if c in rows]
    return out


# --- routing ---------------------------------------------------------------------------------


_ROUTING_CACHE_KEY = "routing:rules:v1"
_ROUTING_CACHE_SECONDS = 30


def routing_rules_active() -> list[RoutingRule]:
    """Active rules with their target orgs, cached briefly (every registration routes);
    the admin clears the cache on save, other edits show within 30 seconds."""
    rules = cache.get(_ROUTING_CACHE_KEY)
    if rules is None:
        rules = list(RoutingRule.objects.filter(is_active=True).select_related("target_org"))
        cache.set(_ROUTING_CACHE_KEY, rules, _ROUTING_CACHE_SECONDS)
    return rules


def routing_rules_cache_clear() -> None:
    cache.delete(_ROUTING_CACHE_KEY)


@dataclass(frozen=True)
class RoutingSuggestion:
    org: Organisation
    rule: RoutingRule | None
    reason: str


def routing_decide(
    *,
    code_b: str,
    channel: str,
    home_org: Organisation | None = None,
    card_issuing_org: Organisation | None = None,
) -> RoutingSuggestion:
    """Where a case with this B code and channel should go (rules as data, see complaints.routing).

    The workflow's "route to branch" reuses this for its suggestion.
    """
    rules_by_id = {r.id: r for r in routing_rules_active()}
    specs = [
        routing.Rule(r.id, r.priority, r.code_b_prefix, r.channel, r.target, r.target_org_id)
        for r in rules_by_id.values()
    ]
    decision = routing.decide(
        specs,
        code_b=code_b,
        channel=channel,
        home_org_id=home_org.id if home_org else None,
        card_org_id=card_issuing_org.id if card_issuing_org else None,
        head_office_id=0,  # looked up below only when the default falls through to it
    )
    if decision.reason == "head_office":
        head_office = Organisation.objects.filter(kind=Organisation.Kind.HEAD_OFFICE).order_by("id").first()
        return RoutingSuggestion(head_office, None, decision.reason)
    known = {o.id: o for o in (home_org, card_issuing_org) if o is not None}
    known.update({r.target_org_id: r.target_org for r in rules_by_id.values() if r.target_org_id})
    org = known.get(decision.org_id) or Organisation.objects.get(pk=decision.org_id)
    return RoutingSuggestion(org, rules_by_id.get(decision.rule_id) if decision.rule_id else None, decision.reason)


# --- saved list views ----------------------------------------------------------------------------


def saved_views_for(user: User) -> list[SavedView]:
    """The user's own saved list views, by name (never another user's)."""
    if not user.is_authenticated:
        return []
    return list(SavedView.objects.filter(user=user).order_by("name", "id"))
