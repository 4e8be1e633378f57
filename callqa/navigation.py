"""Menu links for call QA (cheap: no counting)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavLink

from . import selectors


def links_for(user) -> list[NavLink]:
    if not selectors.can_read(user):
        return []
    section = _("录音")
    return [
        NavLink(section, _("通话质检"), reverse("callqa:queue"), _("得分最低的通话：收听、推翻误判"), key="qa_queue"),
        NavLink(section, _("质检周报"), reverse("callqa:scorecards"), _("按坐席、按团队的每周得分"), key="qa_cards"),
    ]
