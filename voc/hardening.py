"""Web hardening settings (login throttling, CSP, caching of customer data, API limits),
applied to the settings module's namespace at its end: ``apply(globals())``. Kept apart from
settings.py so the security layer reads in one place.

- DEBUG is a developer switch: on only with ``DJANGO_DEBUG=1`` (never in production), so the
  quick start shows the custom error pages, not URL lists and tracebacks.
- Login: django-axes locks a username from one client address after 5 failures for 15 minutes
  (an administrator unlocks earlier by deleting the attempt in the admin or with
  ``manage.py axes_reset_username``). The client address follows the public form's rule
  (``VOC_TRUSTED_PROXIES``).
- Content-Security-Policy (django-csp): scripts and styles only from our own static files,
  no inline script or style, no framing.
- ``Cache-Control: no-store`` on every response that is not a static file.
- API: request bodies above ``VOC_API_MAX_BODY_BYTES`` are refused before parsing (file uploads
  to multipart endpoints have their own caps); JSON that is malformed or nested too deeply is a
  400; API paths answer errors in JSON; the schema and docs need a signed-in user.
"""

from __future__ import annotations

from datetime import timedelta


def _insert_after(items: list[str], anchor: str, new: list[str]) -> None:
    at = items.index(anchor) + 1 if anchor in items else 0
    items[at:at] = [n for n in new if n not in items]


def apply(s: dict) -> None:
    """Adjust the settings namespace ``s`` in place."""
    env = s["env"]
    production = s["PRODUCTION"]

    # --- DEBUG: an explicit developer switch ---------------------------------
    s["DEBUG"] = (not production) and env.bool("DJANGO_DEBUG", default=False)

    apps = s["INSTALLED_APPS"]
    for app in ("axes", "csp"):
        if app not in apps:
            apps.append(app)

    middleware = s["MIDDLEWARE"]
    # Right after WhiteNoise: static files are answered before these run and keep their caching.
    _insert_after(
        middleware,
        "whitenoise.middleware.WhiteNoiseMiddleware",
        [
            "voc.hardening_middleware.NoStoreMiddleware",
            "csp.middleware.CSPMiddleware",
            "voc.hardening_middleware.ApiBodyLimitMiddleware",
        ],
    )
    if "axes.middleware.AxesMiddleware" not in middleware:
        middleware.append("axes.middleware.AxesMiddleware")  # last, as django-axes requires

    # --- Login throttling and lockout (django-axes) ---------------------------
    backends = list(s.get("AUTHENTICATION_BACKENDS", ["django.contrib.auth.backends.ModelBackend"]))
    if "axes.backends.AxesStandaloneBackend" not in backends:
        backends.insert(0, "axes.backends.AxesStandaloneBackend")
    s["AUTHENTICATION_BACKENDS"] = backends
    s["AXES_FAILURE_LIMIT"] = env.int("VOC_LOGIN_FAILURE_LIMIT", default=5)
    s["AXES_COOLOFF_TIME"] = timedelta(minutes=env.int("VOC_LOGIN_LOCKOUT_MINUTES", default=15))
    # One client guessing one user's password; other users and other offices are not locked out.
    s["AXES_LOCKOUT_PARAMETERS"] = [["username", "ip_address"]]
    s["AXES_RESET_ON_SUCCESS"] = True
    # The lock lasts 15 minutes from the lockout, as the page says; retrying does not extend it.
    s["AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT"] = False
    # Same client address as the public form and DRF's throttles (REMOTE_ADDR, or the entry the
    # outermost trusted proxy appended to X-Forwarded-For when VOC_TRUSTED_PROXIES > 0).
    s["AXES_CLIENT_IP_CALLABLE"] = "accounts.lockout.client_ip"
    s["AXES_LOCKOUT_CALLABLE"] = "accounts.lockout.lockout_response"
    s["AXES_HTTP_RESPONSE_CODE"] = 429
    s["AXES_VERBOSE"] = False  # no start-up banner in every management command
    # Failures and lockouts are warnings; the per-login bookkeeping at INFO is noise.
    s["LOGGING"]["loggers"]["axes"] = {"level": "WARNING"}

    # --- Content-Security-Policy (django-csp 4) -------------------------------
    from csp.constants import NONE, SELF

    s["CONTENT_SECURITY_POLICY"] = {
        "DIRECTIVES": {
            "default-src": [SELF],
            "script-src": [SELF],
            "style-src": [SELF],
            "img-src": [SELF, "data:"],
            "object-src": [NONE],
            "base-uri": [SELF],
            "form-action": [SELF],
            "frame-ancestors": [NONE],
        }
    }

    # --- API limits and errors -------------------------------------------------
    s["API_MAX_BODY_BYTES"] = env.int("VOC_API_MAX_BODY_BYTES", default=1024 * 1024)
    s["API_MAX_JSON_DEPTH"] = 32
    rest = s["REST_FRAMEWORK"]
    # JSON and plain forms; only views that declare a multipart parser take files (the
    # recording upload), so a large multipart body elsewhere is refused by the size cap.
    rest["DEFAULT_PARSER_CLASSES"] = ["voc.api_parsers.SafeJSONParser", "rest_framework.parsers.FormParser"]
    s["SPECTACULAR_SETTINGS"]["SERVE_PERMISSIONS"] = ["rest_framework.permissions.IsAuthenticated"]
    # The schema lists the error answers every operation can give (voc/api_schema.py).
    s["SPECTACULAR_SETTINGS"]["POSTPROCESSING_HOOKS"] = [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "voc.api_schema.document_error_answers",
    ]
