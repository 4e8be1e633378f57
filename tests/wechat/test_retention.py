"""Retention (issue 12) of WeChat messages: the messages a case past retention was registered from
lose the customer's platform id (ciphertext, keyed hash, masked value) and text when the case is
anonymised and go when it is purged; the dry run counts them and changes nothing; a case under an
open regulator inquiry, and a draft never registered, keep their messages as they are."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts import roles
from accounts.models import AuditEvent
from complaints.models import Complaint
from complaints.services import CustomerInput, complaint_register
from complaints.services.retention import REMOVED, regulator_inquiry_open, retention_run
from complaints.states import CaseState
from tests.conftest import PINNED_TODAY
from tests.wechat.wire import OA, OPENID
from wechat.messages import Message
from wechat.models import WeChatMessage
from wechat.services import message_receive

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
CLOSED_ON = PINNED_TODAY.replace(year=PINNED_TODAY.year - 3) - timedelta(days=1)  # past 3 years
TEXT = "我的卡号6222021234567890被扣年费，张伟"


def at(day: date) -> datetime:
    return datetime.combine(day, time(10), tzinfo=SH)


@pytest.fixture(autouse=True)
def _policy(settings):
    settings.VOC_RETENTION = {"min_years": 3, "action": "anonymise", "batch_size": 2, "scheduled_apply": False}


@pytest.fixture
def officer(org_tree, make_user):
    return make_user(roles.HO_OFFICER, org_tree.ho)


_ids = iter(range(100, 10_000))


def receive(day: date) -> WeChatMessage:
    n = next(_ids)
    message = Message(OA["appid"], OPENID, 1_600_000_000 + n, "text", msg_id=str(n), content=TEXT)
    return message_receive(channel="official", message=message, now=at(day)).message


@pytest.fixture
def case_from_message(org_tree, make_user):
    """A case registered from a WeChat message received 20 days before ``closed_on``, closed on it."""
    agent = make_user(roles.AGENT, org_tree.ho)

    def make(closed_on: date) -> tuple[Complaint, WeChatMessage]:
        received = closed_on - timedelta(days=20)
        message = receive(received)
        with time_machine.travel(at(received), tick=False):
            case = complaint_register(
                actor=agent, channel="wechat", code_a="A0302", code_b="B030202", code_c="C03", summary="年费争议",
                customer=CustomerInput(name="张伟", title="mr", mobile="13812345678", home_org=org_tree.bj),
                responsible_org=org_tree.bj,
            )  # fmt: skip
        WeChatMessage.objects.filter(pk=message.pk).update(status=WeChatMessage.Status.REGISTERED, complaint=case)
        Complaint.objects.filter(pk=case.pk).update(status=CaseState.CLOSED, closed_at=at(closed_on))
        return case, message

    return make


def row(message: WeChatMessage) -> dict:
    return WeChatMessage.objects.filter(pk=message.pk).values().first()


def test_anonymising_a_case_clears_its_messages_customer_id_and_text(case_from_message, pin_clock):
    case, message = case_from_message(CLOSED_ON)
    before = row(message)
    assert before["user_hash"] and before["user_encrypted"] and "622202******7890" in before["text"]
    pin_clock(PINNED_TODAY)

    dry = retention_run()
    assert dry.counts["wechat_messages"] == 1 and row(message) == before  # counted, nothing written
    report = retention_run(apply=True)

    assert report.counts["wechat_messages"] == 1
    assert AuditEvent.objects.get(action="retention_apply").detail["wechat_messages"] == 1
    after = row(message)
    customer = (after["user_hash"], after["user_encrypted"], after["user_masked"])
    assert customer == ("", "", REMOVED) and after["text"] == REMOVED
    assert (after["complaint_id"], after["channel"], after["status"]) == (case.pk, "official", "registered")
    assert OPENID[-4:] not in str(after) and "7890" not in str(after) and "张伟" not in str(after)
    # the customer's later messages no longer find this one by the keyed hash
    assert not WeChatMessage.objects.filter(user_hash=before["user_hash"]).exists()


def test_purging_a_case_deletes_its_messages(case_from_message, pin_clock, settings):
    settings.VOC_RETENTION = {**settings.VOC_RETENTION, "action": "purge"}
    case, message = case_from_message(CLOSED_ON)
    pin_clock(PINNED_TODAY)

    report = retention_run(apply=True)

    assert (report.purged, report.counts["wechat_messages"]) == (1, 1)
    assert not Complaint.objects.filter(pk=case.pk).exists()
    assert not WeChatMessage.objects.filter(pk=message.pk).exists()  # not left behind without its case


def test_a_case_under_an_open_inquiry_and_a_draft_never_registered_keep_their_messages(
    case_from_message, pin_clock, officer
):
    case, message = case_from_message(CLOSED_ON)
    regulator_inquiry_open(actor=officer, complaint=case, reference="银保监投诉〔2026〕2号", opened_on=CLOSED_ON)
    draft = receive(CLOSED_ON - timedelta(days=30))
    before = row(message), row(draft)
    pin_clock(PINNED_TODAY)

    report = retention_run(apply=True)

    assert report.cases == 0 and report.held == {"regulator_inquiry": 1} and report.counts["wechat_messages"] == 0
    assert (row(message), row(draft)) == before
