"""Menu links for recordings, per role (cheap: no counting)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts import roles
from accounts.navigation import NavLink

from . import selectors


def links_for(user) -> list[NavLink]:
    links: list[NavLink] = []
    section = _("录音")
    if selectors.can_upload(user) or user.has_role(roles.AUDITOR, roles.BRANCH_MANAGER):
        links.append(
            NavLink(section, _("通话录音"), reverse("recordings:list"), _("上传、转写进度、脱敏播放"), key="recordings")
        )
    if user.has_role(roles.LISTENING_MANAGER, roles.BRANCH_MANAGER, roles.BRANCH_HANDLER, roles.HO_OFFICER):
        links.append(
            NavLink(
                section,
                _("典型录音待听"),
                reverse("recordings:inbox"),
                _("声音送一线：收听脱敏的典型录音"),
                key="listen",
            )
        )
    if selectors.can_review_redaction(user):
        links.append(
            NavLink(
                section,
                _("脱敏待复核"),
                reverse("recordings:list") + "?redaction=review",
                _("自动脱敏未能完全确认的录音：收听后放行或驳回"),
                key="redaction_review",
            )
        )
    if selectors.can_see_suspects(user):
        links.append(
            NavLink(
                section,
                _("疑似投诉录音"),
                reverse("recordings:suspected"),
                _("未关联投诉但疑似投诉的通话"),
                key="suspected",
            )
        )
    if selectors.can_audit_plays(user):
        links.append(
            NavLink(section, _("收听记录"), reverse("recordings:plays"), _("每一次播放的审计记录"), key="plays")
        )
    return links
