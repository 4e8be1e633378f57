"""WeChat fixtures: both platforms configured with the official samples' token, key and ids,
WeCom's app 1000002 feeding BJ's queue, and a media client that hands out audio the test put in
(the platform's media API; not our database)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts import roles
from tests.wechat.wire import OA, WECOM, Platform


class FakeMediaClient:
    """The platform's media API in a test: MediaId -> bytes, filled by the test."""

    store: dict[str, bytes] = {}
    asked: list[tuple[str, str]] = []

    def __init__(self, channel: str):
        self.channel = channel

    def fetch(self, media_id: str) -> bytes:
        from wechat.media import MediaUnavailable

        FakeMediaClient.asked.append((self.channel, media_id))
        if media_id not in FakeMediaClient.store:
            raise MediaUnavailable("media expired or unknown")
        return FakeMediaClient.store[media_id]


class RecordingSender:
    """The platform's customer-service message API in a test: records what would be sent; a test
    sets ``down`` to have it refuse as an unreachable platform does."""

    sent: list[tuple[str, str, str]] = []
    tried: int = 0
    down: bool = False

    def __init__(self, channel: str):
        self.channel = channel

    def send_text(self, user_id: str, text: str) -> None:
        from wechat.media import SendUnavailable

        RecordingSender.tried += 1
        if RecordingSender.down:
            raise SendUnavailable("platform answered errcode 45015")
        RecordingSender.sent.append((self.channel, user_id, text))


@pytest.fixture(autouse=True)
def _wechat_settings(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.WECHAT_OA_TOKEN, settings.WECHAT_OA_AES_KEY, settings.WECHAT_OA_APPID = OA["token"], OA["key"], OA["appid"]
    settings.WECHAT_OA_ORG = ""
    settings.WECOM_TOKEN, settings.WECOM_AES_KEY, settings.WECOM_CORP_ID = WECOM["token"], WECOM["key"], WECOM["corp"]
    settings.WECOM_AGENT_ORGS = {"1000002": "BJ"}
    settings.WECHAT_REPLAY_WINDOW_S = 300
    settings.WECHAT_MEDIA_CLIENT = "tests.wechat.conftest.FakeMediaClient"
    settings.WECHAT_MESSAGE_CLIENT = "tests.wechat.conftest.RecordingSender"
    FakeMediaClient.store, FakeMediaClient.asked = {}, []
    RecordingSender.sent, RecordingSender.tried, RecordingSender.down = [], 0, False
    yield


@pytest.fixture
def oa(org_tree):
    # its own client, anonymous and with CSRF checks on, as the platform is
    return Platform(
        Client(enforce_csrf_checks=True), reverse("wechat:official_callback"), OA["token"], OA["key"], OA["appid"]
    )


@pytest.fixture
def wecom(org_tree):
    return Platform(
        Client(enforce_csrf_checks=True), reverse("wechat:wecom_callback"), WECOM["token"], WECOM["key"], WECOM["corp"]
    )


@pytest.fixture
def agent(org_tree, make_user):
    return make_user(roles.AGENT, org_tree.ho, username="agent1")
