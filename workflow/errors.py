"""Errors the workflow services raise; views turn them into a clear message (never a 500)."""

from __future__ import annotations


class WorkflowError(Exception):
    """Base: a user-facing message (Chinese msgid, translated) and a short code."""

    code = "workflow_error"
    http_status = 400

    def __init__(self, message: str, *, audit: dict | None = None) -> None:
        super().__init__(message)
        self.message = str(message)
        # Set for refusals the case's log must keep (回避, independence): complaint id,
        # attempted action, actor id, rule; ``services.refusals`` writes them after the rollback.
        self.audit = audit


class CaseNotFound(WorkflowError):
    """The case does not exist or is outside the user's scope (shown as 404)."""

    code = "not_found"
    http_status = 404


class RequestNotFound(CaseNotFound):
    """A request named by id (an extension request) does not exist or is not the acted-on case's.
    Pages show it as a 404 like a case; the API answers 400 on the field that named it."""

    code = "request_not_found"


class ActionDenied(WorkflowError):
    """Wrong state, role, organisation, or a conflict of interest."""

    code = "not_allowed"
    http_status = 403


class StaleCase(WorkflowError):
    """Someone else changed the case since the page was rendered (or at the same moment)."""

    code = "conflict"
    http_status = 409


class InvalidInput(WorkflowError):
    """A required reason is missing, a limit is exceeded, a date is out of its window."""

    code = "invalid"
    http_status = 400
