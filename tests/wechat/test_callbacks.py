"""The callback URLs on the wire: URL checks, messages in safe mode, and everything a platform or
an attacker may send instead (each a clear 4xx or an ignored message with a log line; never a 500,
never a second draft)."""

from __future__ import annotations

import logging
import time
from datetime import date

import pytest
import time_machine

from complaints import crypto
from tests.wechat.test_crypto import WECOM_ECHO
from tests.wechat.wire import EXTERNAL_ID, OA, OPENID, WECOM, sha1_sign, text_xml
from wechat.models import WeChatMessage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(pin_clock):
    pin_clock(date(2026, 11, 25))


def _text(oa, content="信用卡年费乱收费，要求退还", msg_id="6054768590064713728", sender=OPENID):
    return text_xml(to="gh_10f6c3c3ac5a", sender=sender, content=content, msg_id=msg_id)


def test_the_official_account_url_check_echoes_echostr_when_signed(oa):
    ts = str(int(time.time()))
    ok = oa.client.get(oa.url, {"signature": sha1_sign(OA["token"], ts, "77"), "timestamp": ts, "nonce": "77",
                                "echostr": "4356273857"})  # fmt: skip
    assert (ok.status_code, ok.content) == (200, b"4356273857")
    bad = oa.client.get(oa.url, {"signature": sha1_sign("guess", ts, "77"), "timestamp": ts, "nonce": "77",
                                 "echostr": "4356273857"})  # fmt: skip
    assert bad.status_code == 403 and b"4356273857" not in bad.content


def test_the_wecom_url_check_decrypts_echostr_official_vector(wecom):
    with time_machine.travel(1476416373 + 10, tick=False):
        resp = wecom.client.get(wecom.url, {"msg_signature": "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb",
                                            "timestamp": "1476416373", "nonce": "47744683", "echostr": WECOM_ECHO})  # fmt: skip
    assert (resp.status_code, resp.content) == (200, b"1288432023552776189")


def test_a_url_check_outside_the_replay_window_is_refused(wecom):
    # the same official vector, a day later: a captured check cannot be replayed
    resp = wecom.client.get(wecom.url, {"msg_signature": "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb",
                                        "timestamp": "1476416373", "nonce": "47744683", "echostr": WECOM_ECHO})  # fmt: skip
    assert resp.status_code == 403


def test_a_text_message_becomes_one_draft_and_the_reply_carries_its_number(oa, org_tree):
    resp = oa.post(_text(oa, content="年费乱收费 我的手机13812345678"))
    assert resp.status_code == 200
    draft = WeChatMessage.objects.get()
    assert (draft.channel, draft.kind, draft.status, draft.owner_org) == ("official", "text", "draft", org_tree.ho)
    assert draft.text == "年费乱收费 我的手机138****5678"  # stored masked
    reply = oa.read_reply(resp)
    assert f"<ToUserName><![CDATA[{OPENID}]]></ToUserName>" in reply
    assert "<FromUserName><![CDATA[gh_10f6c3c3ac5a]]></FromUserName>" in reply
    assert draft.receipt in reply and "<MsgType><![CDATA[text]]></MsgType>" in reply


def test_the_customer_id_is_kept_as_our_pii_rules_require(oa):
    oa.post(_text(oa, msg_id="1"))
    oa.post(_text(oa, msg_id="2"))
    oa.post(_text(oa, msg_id="3", sender=OPENID.swapcase()))  # ids are case-sensitive: another customer
    first, second, other = WeChatMessage.objects.order_by("pk")
    stored = " ".join(str(v) for v in WeChatMessage.objects.values_list().get(pk=first.pk))
    assert OPENID not in stored and OPENID.lower() not in stored
    assert first.user_hash == second.user_hash != other.user_hash
    assert crypto.decrypt(first.user_encrypted) == OPENID
    assert first.user_masked == "oyOR****rs"


def test_a_repeated_delivery_is_kept_once_and_answered_alike(oa):
    first = oa.post(_text(oa))
    again = oa.post(_text(oa), nonce="999")  # the platform retries with a new nonce
    assert WeChatMessage.objects.count() == 1
    number = WeChatMessage.objects.get().receipt
    assert number in oa.read_reply(first) and number in oa.read_reply(again)


def test_wecom_messages_go_to_the_queue_of_the_receiving_app(wecom, org_tree):
    inner = text_xml(
        to=WECOM["corp"], sender=EXTERNAL_ID, content="理财产品亏损未告知风险", msg_id="88", agent_id="1000002"
    )
    resp = wecom.post(inner, agent_id="1000002")
    assert resp.status_code == 200
    draft = WeChatMessage.objects.get()
    assert (draft.channel, draft.owner_org) == ("wecom", org_tree.bj)
    assert draft.receipt in wecom.read_reply(resp)


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"sign_with": "guessed-token"}, 403),
        ({"timestamp": "1409735669"}, 403),  # years old: outside the replay window
        ({"receive_id": "wx0000000000000000"}, 400),  # sealed for another account
        ({"envelope": b"<xml><ToUserName>x</ToUserName></xml>"}, 400),  # no ciphertext (plain mode)
        ({"envelope": b"<xml><Encrypt>abc"}, 400),
        ({"envelope": b'<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>'}, 400),
        ({"envelope": b"<xml><Encrypt>" + b"A" * 70_000 + b"</Encrypt></xml>"}, 413),
    ],
)
def test_bad_deliveries_are_refused_clearly_and_store_nothing(oa, change, status, caplog):
    with caplog.at_level(logging.WARNING, logger="wechat.callbacks"):
        resp = oa.post(_text(oa), **change)
    assert resp.status_code == status
    assert WeChatMessage.objects.count() == 0
    assert any("refused" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "inner",
    [
        b"<xml><ToUserName>gh</ToUserName><FromUserName>" + OPENID.encode() + b"</FromUserName>",  # cut short
        b"<notxml><FromUserName>a</FromUserName></notxml>",
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><xml><Content>&lol;</Content></xml>',
    ],
)
def test_a_malformed_decrypted_message_is_a_400(oa, inner):
    assert oa.post(inner).status_code == 400
    assert WeChatMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("inner", "why"),
    [
        (b"<xml><ToUserName>gh</ToUserName><FromUserName>" + OPENID.encode() + b"</FromUserName><CreateTime>1"
         b"</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>", "type"),
        (text_xml(to="gh", sender="ChenJiaShun", content="hi", msg_id="5"), "not a customer"),  # a WeCom member
        (text_xml(to="gh", sender=OPENID, content="   ", msg_id="6"), "empty"),
    ],
)  # fmt: skip
def test_events_members_and_empty_texts_are_ignored_with_a_log_line(oa, wecom, inner, why, caplog):
    with caplog.at_level(logging.INFO, logger="wechat.services"):
        resp = (wecom if why == "not a customer" else oa).post(inner)
    assert (resp.status_code, resp.content) == (200, b"success")
    assert WeChatMessage.objects.count() == 0
    assert any(why in r.getMessage() for r in caplog.records)


def test_a_channel_without_secrets_is_not_served(oa, settings):
    settings.WECHAT_OA_AES_KEY = ""
    assert oa.post(_text(oa)).status_code == 404


def test_other_methods_and_missing_parameters_are_4xx(oa):
    assert oa.client.put(oa.url + f"?timestamp={int(time.time())}&nonce=1").status_code == 405
    assert oa.client.post(oa.url, b"<xml/>", content_type="text/xml").status_code == 400
    ts = int(time.time())
    unsigned = oa.client.post(f"{oa.url}?timestamp={ts}&nonce=1", b"<xml/>", content_type="text/xml")
    assert unsigned.status_code == 403


def test_the_callbacks_are_exempt_from_csrf_but_not_from_the_signature(oa):
    # oa.client enforces CSRF checks like a browser-less platform would not pass them
    assert oa.post(_text(oa)).status_code == 200
    assert WeChatMessage.objects.count() == 1


def test_a_create_time_no_calendar_holds_is_kept_without_a_sent_time(oa):
    inner = text_xml(to="gh", sender=OPENID, content="年费", msg_id="9", created=10**30)
    assert oa.post(inner).status_code == 200
    assert WeChatMessage.objects.get().sent_at is None
