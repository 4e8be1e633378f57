"""How the API runs an action: the case page's call (``actions.SPECS``), with the version.

The page leaves a few actions unversioned on purpose (a comment or an approval is not refused
because someone else acted since the page was drawn); an API client that sends ``If-Match``
asks for the precondition on every action, so those are called here with it. Everything else
is the page's own call. ``tests/workflow/test_api_concurrency.py`` checks that every action
answers a stale ``If-Match`` with 412.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions

from accounts.models import User

from .. import actions, services
from ..errors import InvalidInput, RequestNotFound


def _comment(d, case, user, v):
    return services.case_comment(complaint_id=case.pk, actor=user, body=d["body"], expected_version=v)


def _decide_pause(d, case, user, v):
    return services.pause_decide(
        complaint_id=case.pk,
        actor=user,
        approve=d["decision"] == "approve",
        comment=d.get("comment", ""),
        expected_version=v,
    )


def _decide_extension(d, case, user, v):
    # The body names the request by id: the service decides it only if it is this case's, and
    # refuses another case's (or an unknown id) as a bad field, not as a missing case.
    try:
        return services.extension_decide(
            request_id=d["request_id"],
            complaint_id=case.pk,
            actor=user,
            approve=d["decision"] == "approve",
            comment=d.get("comment", ""),
            expected_version=v,
        )
    except RequestNotFound as exc:
        raise exceptions.ValidationError({"request_id": [exc.message]}) from None


def _approve_verification_change(d, case, user, v):
    return services.verification_change_review(
        complaint_id=case.pk,
        actor=user,
        approve=d["decision"] == "approve",
        comment=d.get("comment", ""),
        expected_version=v,
    )


def _add_involved(d, case, user, v):
    target = User.objects.people().filter(username=d["username"].strip()).first()
    if target is None:
        raise InvalidInput(_("找不到该员工"))
    return services.involved_staff_add(
        complaint_id=case.pk, actor=user, user_id=target.pk, kind=d["kind"], note=d["note"], expected_version=v
    )


VERSIONED = {
    "comment": _comment,
    "decide_pause": _decide_pause,
    "decide_extension": _decide_extension,
    "approve_verification_change": _approve_verification_change,
    "add_involved": _add_involved,
}


def call(action: str, cleaned_data: dict, case, user, version: str | None):
    """Run ``action`` on ``case`` as ``user``; ``version``: the If-Match the service compares."""
    if action in VERSIONED:
        return VERSIONED[action](cleaned_data, case, user, version)
    return actions.SPECS[action].call(cleaned_data, case.pk, user, version)
