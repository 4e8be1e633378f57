"""``manage.py pii_rekey`` re-keys the WeChat customer key (ciphertext and its keyed hash, taken
with the channel and AppID/CorpID), so a customer is still one customer after the old keys go."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command

from complaints import crypto
from tests.complaints.test_keys import NEW_ENC, NEW_HASH, OLD_ENC, OLD_HASH
from tests.wechat.wire import EXTERNAL_ID, OPENID, text_xml
from wechat.models import WeChatMessage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(pin_clock):
    pin_clock(date(2026, 11, 25))


def _keys(settings, hash_key, enc_key, old_hash=(), old_enc=()):
    settings.PII_HASH_KEY, settings.PII_HASH_OLD_KEYS = hash_key, list(old_hash)
    settings.PII_ENCRYPTION_KEY, settings.PII_ENCRYPTION_OLD_KEYS = enc_key, list(old_enc)


def test_rekey_moves_wechat_customer_keys_to_the_new_keys(settings, oa, wecom):
    _keys(settings, OLD_HASH, OLD_ENC)
    oa.post(text_xml(to="gh_10f6c3c3ac5a", sender=OPENID, content="年费乱收费", msg_id="11"))
    wecom.post(text_xml(to=wecom.receive_id, sender=EXTERNAL_ID, content="理财亏损", msg_id="12", agent_id="1000002"))
    before = {m.pk: (m.user_hash, m.user_encrypted) for m in WeChatMessage.objects.all()}
    assert len(before) == 2

    _keys(settings, NEW_HASH, NEW_ENC, [OLD_HASH], [OLD_ENC])
    call_command("pii_rekey")
    _keys(settings, NEW_HASH, NEW_ENC)  # the old keys are gone

    for message in WeChatMessage.objects.all():
        assert crypto.is_current(message.user_encrypted)
        assert message.user_hash != before[message.pk][0]
    # the same customer writes again: the new message's key is the re-keyed one (one customer)
    oa.post(text_xml(to="gh_10f6c3c3ac5a", sender=OPENID, content="还没处理", msg_id="13"))
    first, again = WeChatMessage.objects.filter(channel="official").order_by("pk")
    assert first.user_hash == again.user_hash
    assert crypto.decrypt(first.user_encrypted) == OPENID
    wecom_row = WeChatMessage.objects.get(channel="wecom")
    assert crypto.decrypt(wecom_row.user_encrypted) == EXTERNAL_ID
