"""The message-encryption scheme against the official samples' vectors and an independent
implementation (tests/wechat/wire.py)."""

from __future__ import annotations

import pytest

from tests.wechat.wire import OA, WECOM, seal, sha1_sign, unseal
from wechat.crypto import CryptoError, MsgCrypt, signature
from wechat.messages import parse_message

# Tencent's WeCom sample (WXBizMsgCrypt Sample.py): the URL check and a user's message.
WECOM_ECHO = "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA=="
WECOM_MSG = (
    "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AEew+kkYc"
    "D+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7i"
    "lEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKY"
    "g84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+"
)
# Tencent's official-account sample: a text message "abcdteT".
OA_MSG = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXp"
    "bUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpK"
    "n6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1Dl"
    "D+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)

wecom = MsgCrypt(WECOM["token"], WECOM["key"], WECOM["corp"])
oa = MsgCrypt(OA["token"], OA["key"], OA["appid"])


def test_the_official_wecom_url_check_vector():
    assert signature(WECOM["token"], "1476416373", "47744683", WECOM_ECHO) == "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb"
    assert wecom.verify("012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb", "1476416373", "47744683", WECOM_ECHO) == (
        b"1288432023552776189"
    )


def test_the_official_wecom_message_vector():
    plain = wecom.verify("0c3914025cb4b4d68103f6bfc8db550f79dcf48e", "1476422779", "1597212914", WECOM_MSG)
    msg = parse_message(plain)
    assert (msg.from_user, msg.msg_type, msg.content, msg.msg_id, msg.agent_id) == (
        "ChenJiaShun",
        "text",
        "你好",
        "1456453720",
        "1000002",
    )


def test_the_official_account_message_vector():
    plain = oa.verify("5d197aaffba7e9b25a30732f161a50dee96bd5fa", "1409735669", "1320562132", OA_MSG)
    msg = parse_message(plain)
    assert (msg.to_user, msg.from_user, msg.content, msg.msg_id) == (
        "gh_10f6c3c3ac5a",
        "oyORnuP8q7ou2gfYjqLzSIWZf0rs",
        "abcdteT",
        "6054768590064713728",
    )


@pytest.mark.parametrize("size", [0, 1, 11, 12, 13, 31, 32, 33, 500])
def test_our_ciphertext_opens_with_an_independent_implementation_and_back(size):
    message = ("投诉" * size).encode()[:size] if size else b""
    ours = oa.encrypt(message)
    assert unseal(ours, OA["key"]) == (message, OA["appid"].encode())
    assert len(__import__("base64").b64decode(ours)) % 32 == 0  # padded to 32-byte blocks
    assert oa.decrypt(seal(message, OA["key"], OA["appid"])) == message


def test_a_message_sealed_for_another_account_is_refused():
    with pytest.raises(CryptoError) as err:
        oa.decrypt(seal(b"<xml/>", OA["key"], "wx0000000000000000"))
    assert err.value.code == -40005


def test_a_wrong_signature_is_refused_before_decrypting():
    with pytest.raises(CryptoError) as err:
        oa.verify(sha1_sign("another-token", "1", "2", OA_MSG), "1", "2", OA_MSG)
    assert err.value.code == -40001


@pytest.mark.parametrize(
    "bad",
    [
        "not base64!!",
        "QUJD",  # 3 bytes: not whole AES blocks
        __import__("base64").b64encode(b"\0" * 32).decode(),  # decrypts to garbage padding
    ],
)
def test_ciphertext_that_does_not_open_is_refused_with_a_code(bad):
    with pytest.raises(CryptoError) as err:
        oa.decrypt(bad)
    assert err.value.code in (-40007, -40008, -40010)


@pytest.mark.parametrize("key", ["short", "!" * 43])
def test_a_malformed_encoding_aes_key_is_refused(key):
    with pytest.raises(CryptoError) as err:
        MsgCrypt("t", key, "x").encrypt(b"x")
    assert err.value.code == -40004
