"""Menu link for the WeChat queue (intake staff)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavLink

from .selectors import can_handle_wechat


def links_for(user) -> list[NavLink]:
    if not can_handle_wechat(user):
        return []
    return [
        NavLink(
            _("投诉"),
            _("微信待受理"),
            reverse("wechat:queue"),
            _("微信公众号和企业微信的客户消息：登记为投诉或认定非投诉"),
            key="wechat",
        )
    ]
