"""The workflow's part of the case list's bulk bar (``complaints.list_actions``): dispatch for
head office, assignment to the handlers of a branch manager's subtree (``workflow.views_bulk``
acts on each row through the normal services)."""

from __future__ import annotations

from accounts import roles

from .selectors import handlers_for_assignment


def bulk_for(user) -> list[dict]:
    route = user.has_role(roles.HO_OFFICER)
    handlers = list(handlers_for_assignment(user)) if user.has_role(roles.BRANCH_MANAGER) else []
    return [{"route": route, "assign": bool(handlers), "handlers": handlers}]
