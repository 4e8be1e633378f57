"""A notification points at what it is about generically (a case, a recording), each type
registered by the app that owns it; the inbox shows it only while the recipient may see that
target, in a number of queries that does not grow with the notifications (issue 13)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from accounts import roles
from accounts.models import Notification
from accounts.notifications import target_types
from accounts.selectors import administers, notifications_for
from accounts.services import NotificationItem, notification_send, notification_send_many
from complaints.models import Complaint
from recordings.models import RecordingFlag
from recordings.services.listening import recording_flag
from tests.complaints.factories import ComplaintFactory
from tests.recordings.conftest import make_recording

pytestmark = pytest.mark.django_db


def about(user, target, title, key=None):
    notification_send(recipients=[user], kind="x", title=title, dedupe_key=key or title, target=target)


def titles(user) -> list[str]:
    return sorted(n.title for n in notifications_for(user))


def test_the_apps_register_their_own_target_types():
    assert {"complaints.complaint", "recordings.callrecording"} <= set(target_types())


def test_a_notification_about_a_case_shows_only_while_the_recipient_may_see_the_case(org_tree, make_user):
    manager = make_user(roles.BRANCH_MANAGER, org_tree.bj)
    case = ComplaintFactory(responsible_org=org_tree.bj)
    about(manager, case, "北京的案件")
    notification_send(recipients=[manager], kind="x", title="不关于任何对象", dedupe_key="plain")
    assert titles(manager) == ["不关于任何对象", "北京的案件"]

    Complaint.objects.filter(pk=case.pk).update(responsible_org=org_tree.sh)  # moved to another branch
    assert titles(manager) == ["不关于任何对象"]
    Complaint.objects.filter(pk=case.pk).update(responsible_org=org_tree.bj_cy)  # into the subtree: seen again
    assert titles(manager) == ["不关于任何对象", "北京的案件"]


def test_the_inbox_page_applies_the_rule(client, org_tree, make_user):
    manager = make_user(roles.BRANCH_MANAGER, org_tree.bj)
    case = ComplaintFactory(responsible_org=org_tree.bj)
    about(manager, case, "北京的案件")
    client.force_login(manager)
    assert "北京的案件" in client.get(reverse("accounts:notifications")).content.decode()
    Complaint.objects.filter(pk=case.pk).update(responsible_org=org_tree.sh)
    assert "北京的案件" not in client.get(reverse("accounts:notifications")).content.decode()


def test_a_typical_recording_notice_reaches_its_audience_outside_the_cases_scope(org_tree, make_user):
    officer = make_user(roles.HO_OFFICER, org_tree.ho)
    sh_listener = make_user(roles.LISTENING_MANAGER, org_tree.sh)
    bj_handler = make_user(roles.BRANCH_HANDLER, org_tree.bj)
    case = ComplaintFactory(responsible_org=org_tree.bj)
    rec = make_recording(case, tag="aud")
    recording_flag(
        actor=officer, recording=rec, note="典型", audience_roles=[roles.LISTENING_MANAGER], audience_orgs=[org_tree.sh]
    )
    flag = RecordingFlag.objects.get(recording=rec)
    from recordings.services.listening import _push  # what the commit hook runs

    _push(flag.pk)
    notice = Notification.objects.get(recipient=sh_listener, kind="typical_recording")
    assert (notice.target_type, notice.target_id) == ("recordings.callrecording", rec.pk)
    # Shanghai's listener may not see the Beijing case, but may hear the recording flagged for them.
    assert [n.pk for n in notifications_for(sh_listener)] == [notice.pk]
    # Someone neither in the audience nor in the recording's scope does not see such a notice.
    Notification.objects.create(
        recipient=make_user(roles.LISTENING_MANAGER, org_tree.bj_cy),
        kind="typical_recording",
        title="不该看到",
        dedupe_key="k",
        target_type="recordings.callrecording",
        target_id=rec.pk,
    )
    assert titles(sh_listener) == [notice.title]
    assert [n.title for n in notifications_for(bj_handler)] == []
    RecordingFlag.objects.filter(pk=flag.pk).update(is_active=False)  # the flag withdrawn
    assert list(notifications_for(sh_listener)) == []


def test_a_target_no_app_registers_is_refused_before_anything_is_written(org_tree, make_user):
    user = make_user(roles.BRANCH_MANAGER, org_tree.bj)
    grant = user.role_grants.get()  # a saved row of a type no app registers (organisations are: analytics)
    with pytest.raises(ValueError, match="accounts.rolegrant"):
        notification_send(recipients=[user], kind="x", title="t", dedupe_key="k", target=grant)
    with pytest.raises(ValueError, match="Unknown notification target"):
        notification_send_many(
            [NotificationItem(recipients=(user,), kind="x", title="t", dedupe_key="k", target_type="x.y", target_id=1)]
        )
    with pytest.raises(ValueError, match="needs its type"):
        notification_send_many([NotificationItem(recipients=(user,), kind="x", title="t", dedupe_key="k", target_id=1)])
    assert not Notification.objects.exists()


def test_a_stored_type_no_app_registers_is_not_shown(org_tree, make_user):
    """Fail closed: a row whose type is no longer registered (an app removed) is not guessed at."""
    user = make_user(roles.HO_OFFICER, org_tree.ho)
    Notification.objects.create(
        recipient=user, kind="x", title="旧类型", dedupe_key="k", target_type="gone.thing", target_id=1
    )
    assert list(notifications_for(user)) == []


@pytest.mark.parametrize("count", [1, 30])
def test_the_inbox_and_top_bar_queries_do_not_grow_with_the_notifications(
    client, org_tree, make_user, count, django_assert_max_num_queries
):
    manager = make_user(roles.BRANCH_MANAGER, org_tree.bj)
    for i in range(count):
        case = ComplaintFactory(responsible_org=org_tree.bj)
        about(manager, case, f"案件 {i}")
        about(manager, make_recording(case, tag=f"q{i}"), f"录音 {i}")
        notification_send(recipients=[manager], kind="x", title=f"通知 {i}", dedupe_key=f"p{i}")
    client.force_login(manager)
    # session, user, the user's subtree and org chain (recordings' rule), the notifications with
    # every target's rule in one query: the same for 1 or 30 of each kind
    with django_assert_max_num_queries(5):
        body = client.get(reverse("accounts:notifications")).content.decode()
    assert body.count('class="unread"') == 3 * count
    with django_assert_max_num_queries(6):  # the top bar (menu) reads no notification
        assert client.get(reverse("home")).status_code == 200


def test_administers_is_staff_superuser_or_the_administrator_role(org_tree, make_user):
    assert administers(make_user(roles.ADMIN, org_tree.ho))
    staff = make_user(roles.AUDITOR, org_tree.ho)
    assert not administers(staff)
    staff.is_staff = True
    assert administers(staff)
    boss = make_user(roles.HO_OFFICER, org_tree.ho)
    boss.is_superuser = True
    assert administers(boss)
    boss.is_active = False
    assert not administers(boss)


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_rows_target_and_goes_back(org_tree, make_user):
    """0007 turns the foreign key into a target without losing a row, and back."""
    before, after = (
        [("accounts", "0006_org_code_message_one_language")],
        [("accounts", "0007_notification_generic_target")],
    )
    officer = make_user(roles.HO_OFFICER, org_tree.ho)
    listener = make_user(roles.LISTENING_MANAGER, org_tree.ho)
    case = ComplaintFactory(responsible_org=org_tree.bj)
    rec = make_recording(case, tag="mig")
    flag = RecordingFlag.objects.create(
        recording=rec, flagged_by=officer, note="n", audience_roles=[roles.LISTENING_MANAGER]
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps.get_model("accounts", "Notification")
        rows = {
            "case": old.objects.create(recipient_id=officer.pk, kind="due", title="t", dedupe_key="a", complaint_id=case.pk),
            "typical": old.objects.create(
                recipient_id=listener.pk, kind="typical_recording", title="t", dedupe_key=f"recording-flag:{flag.pk}",
                complaint_id=case.pk,
            ),
            "gone_flag": old.objects.create(
                recipient_id=listener.pk, kind="typical_recording", title="t", dedupe_key="recording-flag:999999",
                complaint_id=case.pk,
            ),
            "nothing": old.objects.create(recipient_id=officer.pk, kind="rising", title="t", dedupe_key="b"),
        }  # fmt: skip
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        targets = dict(Notification.objects.values_list("pk", "target_type"))
        ids = dict(Notification.objects.values_list("pk", "target_id"))
        got = {name: (targets[row.pk], ids[row.pk]) for name, row in rows.items()}
        assert got == {
            "case": ("complaints.complaint", case.pk),
            "typical": ("recordings.callrecording", rec.pk),
            "gone_flag": ("complaints.complaint", case.pk),
            "nothing": ("", None),
        }
        executor = MigrationExecutor(connection)
        executor.migrate(before)
        old = executor.loader.project_state(before).apps.get_model("accounts", "Notification")
        back = dict(old.objects.values_list("pk", "complaint_id"))
        assert back == {rows["case"].pk: case.pk, rows["typical"].pk: case.pk, rows["gone_flag"].pk: case.pk,
                        rows["nothing"].pk: None}  # fmt: skip
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
