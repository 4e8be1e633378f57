"""System checks: production has real keys for personal data (complaints.crypto); the retention
policy keeps records at least the legal 3 years (complaints.E110, every environment).

An Error stops ``runserver``, ``migrate``, ``check --deploy`` and every other management
command that runs checks; gunicorn and Celery run no system checks, so ``voc.wsgi``,
``voc.asgi`` and the Celery worker/beat call :func:`refuse_unsafe_keys` at start-up.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from .crypto import DEV_PII_ENCRYPTION_KEY, DEV_PII_HASH_KEY

MIN_KEY_LENGTH = 32
# Values copied from examples instead of generated.
_PLACEHOLDERS = frozenset({"change-me", "changeme", "...", "secret", "dev", "test"})
_HOW = "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"


def _key_problem(value: str, dev_value: str) -> str | None:
    if value == dev_value:
        return "is the built-in development value"
    if value.strip().lower() in _PLACEHOLDERS:
        return "is a placeholder"
    if len(value) < MIN_KEY_LENGTH:
        return f"is shorter than {MIN_KEY_LENGTH} characters"
    return None


def pii_key_errors() -> list[checks.CheckMessage]:
    """The problems with the PII keys in production (none outside production)."""
    if not getattr(settings, "PRODUCTION", False):
        return []
    found: list[checks.CheckMessage] = []
    keys = (
        ("VOC_PII_HASH_KEY", settings.PII_HASH_KEY, DEV_PII_HASH_KEY, 101),
        ("VOC_PII_ENCRYPTION_KEY", settings.PII_ENCRYPTION_KEY, DEV_PII_ENCRYPTION_KEY, 103),
    )
    for name, value, dev_value, number in keys:
        if not value:
            found.append(
                checks.Error(
                    f"{name} is not set: production refuses to store phone and ID numbers without it.",
                    hint=_HOW,
                    id=f"complaints.E{number}",
                )
            )
        elif problem := _key_problem(value, dev_value):
            found.append(checks.Error(f"{name} {problem}.", hint=_HOW, id=f"complaints.E{number + 1}"))
    current = [settings.PII_HASH_KEY, settings.PII_ENCRYPTION_KEY]
    if all(current) and (current[0] == current[1] or settings.SECRET_KEY in current):
        found.append(
            checks.Error(
                "VOC_PII_HASH_KEY, VOC_PII_ENCRYPTION_KEY and DJANGO_SECRET_KEY must be three different keys.",
                hint="Each one rotates on its own; a shared key leaks through the weakest use.",
                id="complaints.E105",
            )
        )
    olds = [*settings.PII_HASH_OLD_KEYS, *settings.PII_ENCRYPTION_OLD_KEYS]
    if DEV_PII_HASH_KEY in olds or DEV_PII_ENCRYPTION_KEY in olds:
        # Allowed, so that data written with them can be re-keyed (manage.py pii_rekey).
        found.append(
            checks.Warning(
                "An old PII key is a built-in development value.",
                hint="Run manage.py pii_rekey, then remove it from VOC_PII_*_OLD_KEYS.",
                id="complaints.W106",
            )
        )
    return found


@checks.register(checks.Tags.security)
def pii_keys_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    return pii_key_errors()


def refuse_unsafe_keys() -> None:
    """Raise ImproperlyConfigured when the PII key check has an error (for gunicorn, Celery)."""
    errors = [e for e in pii_key_errors() if e.is_serious()]
    if errors:
        raise ImproperlyConfigured("; ".join(f"{e.id}: {e.msg}" for e in errors))


@checks.register()
def retention_policy_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """``VOC_RETENTION`` is a valid policy, never under the legal 3 years (complaints.retention)."""
    from .retention import policy_problems

    return [
        checks.Error(
            f"VOC_RETENTION: {problem}.",
            hint="Complaint records, recordings included, are kept at least 3 years (CBIRC Order 2020 No. 3).",
            id="complaints.E110",
        )
        for problem in policy_problems(getattr(settings, "VOC_RETENTION", {}))
    ]
