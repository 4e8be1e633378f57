"""Reads for the customer page (客户视图): one customer's cases within the viewer's scope.

Access follows the cases, as the intake lookup and the repeat check do: the page lists only the
cases the user may see (their org's subtree), and every figure on it (how many, in the last
12 months, the same B code again, channels, redress) is counted over those cases alone. A
customer none of whose cases the user may see is a 404, exactly like an id that does not exist,
so the page never tells that a customer or an out-of-scope case exists.

A fixed number of queries whatever the customer holds: the customer, the cases shown (at most
``CASES_SHOWN``, newest first), and one grouped count over all of their visible cases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.http import Http404
from django.utils import timezone

from accounts import roles
from accounts.models import User
from accounts.selectors import can_reveal_mobile, can_write, scope_by_path

from .cursor import Cursor, encode
from .models import Complaint, Customer
from .states import CLOCK_RUNNING_STATES, OPEN_STATES
from .taxonomy_selectors import CodeRow, attach_codes, taxonomy_rows

CASES_SHOWN = 50  # cases a page lists (newest first; older ones page by page); every figure counts them all
PATTERN_DAYS = 365  # "in the last 12 months"
CASE_CODES = ("code_a", "code_b", "code_c", "root_cause_code")


@dataclass(frozen=True)
class CodeRepeat:
    """A B code the customer complained about more than once in the last 12 months."""

    code: CodeRow
    recent: int  # cases with this B code in the last 12 months
    total: int  # all visible cases with this B code


@dataclass(frozen=True)
class ChannelCount:
    channel: str
    label: str
    n: int


@dataclass
class CustomerView:
    customer: Customer
    cases: list[Complaint]  # newest first, at most CASES_SHOWN
    total: int  # every case of the customer the user may see
    recent: int  # of those, received in the last 12 months
    open: int  # not yet closed
    regulator_recent: int  # regulator-referred, last 12 months
    repeated: list[CodeRepeat]  # B codes seen at least twice in the last 12 months, most first
    channels: list[ChannelCount]  # how the customer complained, most used first
    redress_total: Decimal  # redress on the visible cases
    elderly: bool  # a visible case marks the customer as elderly (适老服务: call, speak slowly)
    since: dt.date  # the first day of the 12-month window
    reveal_case: Complaint | None  # the case the audited reveal is asked from, if the user may
    next_cursor: str = ""  # the page of older cases after these ("" when these are the oldest)
    paged: bool = False  # these are not the newest cases (a cursor was followed)

    @property
    def more(self) -> bool:
        return self.total > len(self.cases)

    @property
    def case_ids(self) -> list[int]:
        return [c.pk for c in self.cases]


# Who may change a customer's contact preferences: the staff who talk to customers about
# complaints (not auditors, not call-QA listeners), for a customer one of whose cases they see.
CONTACT_EDIT_ROLES = (roles.AGENT, roles.BRANCH_HANDLER, roles.BRANCH_MANAGER, roles.HO_OFFICER, roles.HO_APPROVER)


def contact_editor(user: User) -> bool:
    """Whether the user's roles let them change contact preferences (no query)."""
    return can_write(user) and user.has_role(*CONTACT_EDIT_ROLES)


def may_edit_contact(user: User, customer: Customer) -> bool:
    """``contact_editor`` and at least one of the customer's cases in the user's scope (one query)."""
    return contact_editor(user) and _visible_cases(user, customer).exists()


def _visible_cases(user: User, customer: Customer):
    # Scoped by the organisation's path (joined anyway): no query for the user's subtree first.
    return scope_by_path(Complaint.objects.filter(customer=customer), user)


def customer_view_for(
    user: User, pk: int, *, now: dt.datetime | None = None, before: Cursor | None = None
) -> CustomerView:
    """The customer page's content for ``user``, or Http404 if the customer does not exist OR the
    user may see none of their cases. Three queries.

    ``before``: the cases older than this one (newest first, ``CASES_SHOWN`` a page: a customer
    with more cases is read page by page, keyset on received_at, id); the figures always count
    every visible case."""
    customer = Customer.objects.select_related("home_org", "contact_updated_by").filter(pk=pk).first()
    if customer is None:
        raise Http404
    rows = _visible_cases(user, customer)
    if before is not None:
        rows = rows.filter(Q(received_at__lt=before.received_at) | Q(received_at=before.received_at, id__lt=before.id))
    cases = list(
        rows.select_related("responsible_org", "assigned_to").order_by("-received_at", "-id")[: CASES_SHOWN + 1]
    )
    older = len(cases) > CASES_SHOWN
    cases = cases[:CASES_SHOWN]
    if not cases and before is None:
        raise Http404
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    shown = {c.pk: c for c in cases}
    for case in cases:
        attach_codes(case, CASE_CODES)
        case.overdue = case.status in CLOCK_RUNNING_STATES and case.due_date is not None and case.due_date < today
        # the case this one repeats, only when it is shown here (so in the user's scope)
        case.visible_repeat_of = shown.get(case.repeat_of_id)
    since = now - dt.timedelta(days=PATTERN_DAYS)
    recent_q = Q(received_at__gte=since)
    # One grouped count over every visible case (not only those shown): a few rows per B code.
    groups = (
        _visible_cases(user, customer)
        .order_by()
        .values_list("code_b_id", "channel")
        .annotate(
            n=Count("id"),
            recent=Count("id", filter=recent_q),
            open=Count("id", filter=Q(status__in=sorted(OPEN_STATES))),
            regulator=Count("id", filter=recent_q & Q(is_regulator_referred=True)),
            elderly=Count("id", filter=Q(is_elderly=True)),
            redress=Sum("redress_amount"),
        )
    )
    codes = {r.id: r for r in taxonomy_rows()}
    by_code: dict[int, list[int]] = {}
    by_channel: dict[str, int] = {}
    total = recent = open_ = regulator = elderly = 0
    redress = Decimal(0)
    for code_b_id, channel, n, n_recent, n_open, n_regulator, n_elderly, amount in groups:
        total, recent, open_, regulator = total + n, recent + n_recent, open_ + n_open, regulator + n_regulator
        elderly += n_elderly
        redress += amount or 0
        pair = by_code.setdefault(code_b_id, [0, 0])
        pair[0], pair[1] = pair[0] + n_recent, pair[1] + n
        by_channel[channel] = by_channel.get(channel, 0) + n
    repeated = sorted(
        (CodeRepeat(codes[i], r, t) for i, (r, t) in by_code.items() if r >= 2 and i in codes),
        key=lambda c: (-c.recent, c.code.code),
    )
    if total == 0:  # a page past the end for a customer the user sees none of: as any other
        raise Http404
    labels = dict(Complaint.Channel.choices)
    channels = sorted(
        (ChannelCount(ch, str(labels.get(ch, ch)), n) for ch, n in by_channel.items()), key=lambda c: (-c.n, c.channel)
    )
    return CustomerView(
        customer=customer,
        cases=cases,
        total=total,
        recent=recent,
        open=open_,
        regulator_recent=regulator,
        repeated=repeated,
        channels=channels,
        redress_total=redress,
        elderly=elderly > 0,
        since=timezone.localtime(since).date(),
        reveal_case=next((c for c in cases if can_reveal_mobile(user, c)), None),
        next_cursor=encode(Cursor(cases[-1].received_at, cases[-1].pk)) if older else "",
        paged=before is not None,
    )
