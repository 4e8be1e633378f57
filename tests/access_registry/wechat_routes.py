"""Routes of wechat (WeChat official account and WeCom messages into the intake queue)."""

from __future__ import annotations

import re

from tests.access_registry.base import INTAKE, PUBLIC, Route, body_text


def wechat_ids_html(resp) -> set[str]:
    return {f"wechat:{n}" for n in re.findall(r'data-wechat="(\d+)"', body_text(resp))}


ROUTES: list[Route] = [
    Route("wechat:queue", INTAKE, rows=wechat_ids_html, lists="wechat", note="drafts of the user's subtree"),
    Route(
        "wechat:not_complaint",
        INTAKE,
        obj="wechat",
        args=lambda m: [m.pk],
        method="POST",
        data=lambda w: {"reason": ""},
        ok=frozenset({302}),
        note="without a reason nothing changes (tests/wechat/test_journey.py)",
    ),
    # The platforms' callbacks: anonymous, answered only to a request signed with the channel's
    # token (tests/wechat/test_callbacks.py); an unsigned request is refused alike for everyone.
    *(
        Route(
            f"wechat:{name}",
            PUBLIC,
            ok=frozenset({400, 404}),
            same_for_all=True,
            note="no timestamp/nonce/signature: 400 (404 while the channel is not configured)",
        )
        for name in ("official_callback", "wecom_callback")
    ),
]
