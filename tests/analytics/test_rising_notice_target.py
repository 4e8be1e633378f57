"""The weekly rising-issue notice names what it is about (issue 13: notifications point at their
target generically; analytics registers its target type in analytics/notifications.py): the
branch whose numbers rose, or the whole bank as its head office. The inbox shows it while the
recipient may read that organisation's reports, in the inbox's one query."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured

from accounts import roles
from accounts.models import Notification, Organisation, RoleGrant, User
from accounts.notifications import NotificationTarget, target_types
from accounts.selectors import notifications_for
from analytics.notifications import orgs_whose_reports
from analytics.periods import period_containing
from analytics.services import rising_issues_notify, rollup_rebuild
from tests.analytics.conftest import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def sh_spike(org_tree, today):
    """B030202 at SH: 2 a week for 8 weeks, then 14 in the last complete week."""
    week = period_containing("week", today - timedelta(days=7))
    for w in range(1, 9):
        for i in range(2):
            make_case(org_tree.sh, week.start - timedelta(days=7 * w - i))
    for i in range(14):
        make_case(org_tree.sh, week.start + timedelta(days=i % 7))
    rollup_rebuild()
    return week


def _shown(user) -> list[Notification]:
    return list(notifications_for(User.objects.select_related("org").get(pk=user.pk)))


def test_the_rising_notice_points_at_the_branch_and_follows_the_readers_scope(users, sh_spike, today, org_tree):
    assert rising_issues_notify(today=today) >= 1
    officer = users["ho_officer"]
    notes = Notification.objects.filter(recipient=officer, kind="analytics_rising")
    [note] = [n for n in notes if "B030202" in n.title and "上海分行" in n.title]
    assert (note.target_type, note.target_id) == ("accounts.organisation", org_tree.sh.pk)
    assert note in _shown(officer)

    officer.org = org_tree.bj  # moved to a branch: SH's numbers are no longer theirs to read
    officer.save(update_fields=["org"])
    assert note not in _shown(officer)

    officer.org = org_tree.ho
    officer.save(update_fields=["org"])
    assert note in _shown(officer)
    RoleGrant.objects.filter(user=officer).delete()  # no analytics role left
    RoleGrant.objects.create(user=officer, role=roles.BRANCH_HANDLER)
    assert note not in _shown(officer)


def test_the_access_rule_costs_the_inbox_no_query_of_its_own(users, sh_spike, today, django_assert_num_queries):
    """The role and the scope are part of the inbox's one notification query (a subquery), not
    read first: building the rule queries nothing, however many notices there are."""
    rising_issues_notify(today=today)
    officer = User.objects.select_related("org").get(pk=users["ho_officer"].pk)
    with django_assert_num_queries(0):
        rule = orgs_whose_reports(officer)
    assert "accounts_rolegrant" in str(rule.query)
    every_org = set(Organisation.objects.all())
    with django_assert_num_queries(1):
        assert set(rule) == every_org  # head office: every organisation's reports
    assert len(_shown(officer)) == Notification.objects.filter(recipient=officer).count() >= 2


def test_one_type_is_registered_by_one_app_only(monkeypatch):
    from accounts import notifications

    assert target_types()["accounts.organisation"].model._meta.label == "accounts.Organisation"
    twice = [*notifications.TARGETS.call()]
    twice += [(app, [NotificationTarget(Notification, visible=None)]) for app in ("elsewhere", "another")]
    monkeypatch.setattr(notifications, "TARGETS", SimpleNamespace(call=lambda: twice))
    with pytest.raises(ImproperlyConfigured, match="registered by elsewhere and another"):
        target_types()
