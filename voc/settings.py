"""Settings for 客户之声, read from the environment (see .env.example).

Defaults give the zero-server quick start: SQLite in WAL mode and Celery on
kombu's filesystem transport, both under ``var/``. ``DJANGO_ENV=production``
switches on the hardened settings checked by ``manage.py check --deploy``.
"""

from __future__ import annotations

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"
VAR_DIR = Path(env("VOC_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)
if PRODUCTION:
    SECRET_KEY = env("DJANGO_SECRET_KEY")
else:
    SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me-0123456789abcdef")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Keys for personal data (complaints.crypto), separate from SECRET_KEY and from each other
# so each can rotate alone. Production refuses to start without them or with the built-in
# development values (system check complaints.E101-E104). Rotation: put the new key in the
# main variable and the previous one in *_OLD_KEYS (comma-separated), restart, run
# ``manage.py pii_rekey``, then drop the old key.
# Keyed hashes of phone and ID numbers (exact lookup without storing the clear value).
PII_HASH_KEY = env("VOC_PII_HASH_KEY", default="" if PRODUCTION else "dev-only-pii-hash-key")
PII_HASH_OLD_KEYS = env.list("VOC_PII_HASH_OLD_KEYS", default=[])
# Encrypted full phone/ID numbers that UNMASK_ROLES may reveal (audit-logged).
PII_ENCRYPTION_KEY = env("VOC_PII_ENCRYPTION_KEY", default="" if PRODUCTION else "dev-only-pii-encryption-key")
PII_ENCRYPTION_OLD_KEYS = env.list("VOC_PII_ENCRYPTION_OLD_KEYS", default=[])

# --- complaints (intake) ---------------------------------------------------
# Same customer + same B code within this many days marks a case as a repeat.
COMPLAINT_REPEAT_WINDOW_DAYS = env.int("VOC_COMPLAINT_REPEAT_WINDOW_DAYS", default=90)
# Public web form: submissions per client IP ("N/second|minute|hour|day").
COMPLAINT_PUBLIC_RATE = env("VOC_PUBLIC_COMPLAINT_RATE", default="5/hour")
# Reverse proxies in front of the app that append the client's address to X-Forwarded-For
# (1 behind nginx). 0 = use REMOTE_ADDR and ignore the header, which any client can forge.
# Without it behind a proxy, every public-form user shares the proxy's address and quota.
TRUSTED_PROXY_COUNT = env.int("VOC_TRUSTED_PROXIES", default=0)

INSTALLED_APPS = [
    # django.contrib.admin whose site writes an audit event for every admin change.
    "accounts.admin_audit.AuditedAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "accounts",
    "complaints",
    "workflow",
    "recordings",
    "analytics",
    "integrations",
    "callqa",
    "mailintake",
    "wechat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "voc.middleware.DefaultLanguageMiddleware",
    "voc.middleware.RejectNulMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "voc.urls"
WSGI_APPLICATION = "voc.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'voc.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE transactions: web and worker write concurrently without
    # "database is locked" (measured: 200/200 tasks, no lock errors).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # libpq waits forever for an unreachable server by default; fail a request (and /healthz) instead.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=10)
    )
    # PostgreSQL's JIT compiles any query whose estimated cost passes jit_above_cost (100,000): with
    # 5 M open cases head office's overview spent 570 of its 1,580 ms compiling (issue 14), and every
    # grouped count over the open cases crosses that line as they grow. The app's queries are short
    # index walks and small aggregates, never long enough for compiled code to repay it: off for the
    # app's connections unless DB_JIT=on (bench/results/daily-use-2026-12-08-a.md).
    if not env.bool("DB_JIT", default=False):
        DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Django's ModelBackend, reading the signed-in user with their organisation and roles in one query.
AUTHENTICATION_BACKENDS = ["accounts.backends.UserBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Language and time ----------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
# Private storage: recordings are never served from a public URL, only through
# access-checked views, so there is deliberately no MEDIA_URL route in urls.py.
MEDIA_ROOT = Path(env("VOC_MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Source maps are fetched only by browser developer tools; compressing them (gzip and brotli,
# for the hashed copy and the original) was over half of collectstatic's time.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Cache ----------------------------------------------------------------
if env("REDIS_URL", default=""):
    # Fails open: Redis down is a cache miss, not a 500 (voc/cache.py).
    CACHES = {"default": {"BACKEND": "voc.cache.FailOpenRedisCache", "LOCATION": env("REDIS_URL")}}
    # Sessions read from the shared cache, written through to the database: one query less per
    # request, and a Redis outage falls back to the database (the cache fails open). Only with a
    # shared cache: per-process memory caches would keep a logged-out session alive elsewhere.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- REST API -------------------------------------------------------------
REST_FRAMEWORK = {
    # The API key class is first: DRF takes a 401's WWW-Authenticate from the first class, and the
    # session class has none (a bad or revoked key was answered 403). It authenticates only a
    # request carrying "Api-Key voc_..." (or "Bearer voc_..."), so the others are unaffected.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "integrations.auth.ApiKeyAuthentication",  # other systems' API keys (issue 15)
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    # Only requests authenticated by an API key are counted, per client at its own rate.
    "DEFAULT_THROTTLE_CLASSES": ["integrations.throttling.IntegrationClientRateThrottle"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "voc.api_errors.exception_handler",
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,  # DRF's client address for throttles: same rule as the public form
}
SPECTACULAR_SETTINGS = {
    "TITLE": "客户之声 Voice of Customer API",
    "DESCRIPTION": "Complaint intake, workflow, recordings and analytics.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed sidecar package: these machines have no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One component per choice set that several serializers share (the workflow API's bodies are
    # generated from the pages' forms, so the same choices arrive under several field names).
    "ENUM_NAME_OVERRIDES": {
        "CaseResultEnum": "complaints.models.Complaint.Result",
        # Two choice sets are called "channel" (a complaint's intake channel, a recording's source):
        # named here, or drf-spectacular warns and hashes one (check --deploy fails on the warning).
        "ComplaintChannelEnum": "complaints.models.Complaint.Channel",
        "RecordingChannelEnum": "recordings.models.CallRecording.Channel",
        "DeliveryChannelEnum": "workflow.models.DeliveryChannel",
    },
}

# --- Celery ---------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=env("REDIS_URL", default="filesystem://"))
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # Must exceed the longest task (a 2-hour recording transcribes in well under this).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=4 * 3600)}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"recordings.tasks.*": {"queue": "transcription"}}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Periodic jobs; each app's tasks module holds the task, the schedule lives here.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "heartbeat": {"task": "voc.celery.heartbeat", "schedule": crontab(minute="*/5")},
    # analytics: rising issues of the last complete week to head office (Mondays 07:30),
    # and a nightly rebuild of the last 3 rollup days as a safety net for the hooks.
    "analytics-rising-weekly": {
        "task": "analytics.rising_issues_notify",
        "schedule": crontab(minute=30, hour=7, day_of_week="mon"),
    },
    "analytics-rollup-nightly": {"task": "analytics.rollup_refresh_recent", "schedule": crontab(minute=20, hour=2)},
    "workflow-escalate-deadlines": {"task": "workflow.escalate_deadlines", "schedule": crontab(minute="*/15")},
    # the workflow API's expired Idempotency-Key rows (kept WORKFLOW_API_IDEMPOTENCY_HOURS)
    "workflow-purge-idempotency-keys": {
        "task": "workflow.purge_idempotency_keys",
        "schedule": crontab(minute=40, hour=3),
    },
}

# /healthz (voc.health) asks the workers over the broker: how long it waits for their answers
# (Redis answers in milliseconds; the filesystem transport polls once a second), how long a web
# process reuses the answer (a flood of probes cannot tie up the web workers), and the queues
# that must each have a worker.
HEALTH_WORKER_TIMEOUT_S = env.float(
    "VOC_HEALTH_WORKER_TIMEOUT_S", default=3.0 if CELERY_BROKER_URL.startswith("filesystem://") else 1.0
)
HEALTH_WORKER_CACHE_S = env.float("VOC_HEALTH_WORKER_CACHE_S", default=10.0)
# A queue without a worker is "degraded" (200), not "fail" (503), while it is expected back: the
# broker came back, or the queue had a worker, less than this long ago (workers reconnect on a
# back-off up to 30 s; scripts/serve restarts a dead one).
HEALTH_WORKER_GRACE_S = env.float("VOC_HEALTH_WORKER_GRACE_S", default=60.0)
HEALTH_QUEUES = env.list("VOC_HEALTH_QUEUES", default=["default", "transcription", "analytics"])

# --- Analytics (Celery) ---------------------------------------------------
# Analytics jobs run on their own queue: a burst of rollup refreshes waits neither behind a
# transcription backlog nor in front of deadline escalations. Every complaint change is kept in
# the RollupPending outbox (same transaction); one flush message per few seconds per process
# recomputes each changed (day, org) bucket once, and beat flushes every minute, so refreshes
# lost while the broker was down are done within a minute of its return.
CELERY_TASK_ROUTES["analytics.*"] = {"queue": "analytics"}
ANALYTICS_FLUSH_DEBOUNCE_S = env.float("VOC_ANALYTICS_FLUSH_DEBOUNCE_S", default=2.0)
# How long a report computed before the latest rollup change is still shown, in seconds (the
# reports then lag registrations by at most this). 0: every change shows at the next page view.
ANALYTICS_STALE_SECONDS = env.float("VOC_ANALYTICS_STALE_SECONDS", default=30.0)
CELERY_BEAT_SCHEDULE["analytics-rollup-flush"] = {"task": "analytics.rollup_flush", "schedule": 60.0}
# Hot topics (issue 16): the panel is served from a stored result up to this age (seconds); the beat
# job recomputes the panels read lately every hour, before they get that old.
ANALYTICS_HOT_TERMS_MAX_AGE = env.float("VOC_ANALYTICS_HOT_TERMS_MAX_AGE", default=2 * 3600.0)
CELERY_BEAT_SCHEDULE["analytics-hot-terms"] = {"task": "analytics.hot_terms_refresh", "schedule": crontab(minute=5)}

# --- Mail intake (issue 15: docs/email-intake.md) ---------------------------
# manage.py mail_intake_smtp listens here (behind the bank's mail gateway, which does TLS and spam).
MAIL_INTAKE_HOST = env("VOC_MAIL_INTAKE_HOST", default="127.0.0.1")
MAIL_INTAKE_PORT = env.int("VOC_MAIL_INTAKE_PORT", default=8025)
MAIL_INTAKE_MAX_BYTES = env.int("VOC_MAIL_INTAKE_MAX_BYTES", default=25 * 1024 * 1024)  # whole message
# Recipients taken, each with the org code whose queue gets its mail ("" = head office):
# VOC_MAIL_INTAKE_RECIPIENTS="complaints@bank.example=,bj.complaints@bank.example=BJ"
MAIL_INTAKE_RECIPIENTS = env.dict("VOC_MAIL_INTAKE_RECIPIENTS", default={"complaints@bank.example": ""})
MAIL_INTAKE_ATTACHMENT_MAX_BYTES = env.int("VOC_MAIL_INTAKE_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
MAIL_INTAKE_MAX_ATTACHMENTS = env.int("VOC_MAIL_INTAKE_MAX_ATTACHMENTS", default=20)

# --- WeChat official account and WeCom callbacks (issue 15, docs/wechat.md) ------------------
# Each platform's callback is off (404) until its token, EncodingAESKey and AppID/CorpID are set.
WECHAT_OA_TOKEN = env("VOC_WECHAT_OA_TOKEN", default="")
WECHAT_OA_AES_KEY = env("VOC_WECHAT_OA_AES_KEY", default="")  # 43 characters
WECHAT_OA_APPID = env("VOC_WECHAT_OA_APPID", default="")
WECHAT_OA_ORG = env("VOC_WECHAT_OA_ORG", default="")  # org code whose queue gets the messages; "" = head office
WECOM_TOKEN = env("VOC_WECOM_TOKEN", default="")
WECOM_AES_KEY = env("VOC_WECOM_AES_KEY", default="")
WECOM_CORP_ID = env("VOC_WECOM_CORP_ID", default="")
# VOC_WECOM_AGENT_ORGS="1000002=BJ,1000003=SH": the app (AgentID) that received a message -> org code
WECOM_AGENT_ORGS = env.dict("VOC_WECOM_AGENT_ORGS", default={})
WECHAT_REPLAY_WINDOW_S = env.int("VOC_WECHAT_REPLAY_WINDOW_S", default=300)
WECHAT_MEDIA_CLIENT = env("VOC_WECHAT_MEDIA_CLIENT", default="wechat.media.NoNetworkClient")
# sends the customer the case reference (an active customer-service message; docs/wechat.md)
WECHAT_MESSAGE_CLIENT = env("VOC_WECHAT_MESSAGE_CLIENT", default="wechat.media.NoNetworkSender")
WECHAT_VOICE_LANGUAGE = env("VOC_WECHAT_VOICE_LANGUAGE", default="auto")  # zh, en or auto (recordings)

# --- Recordings -----------------------------------------------------------
# Uploads are validated (size, magic bytes, ffprobe) before anything is queued.
RECORDING_MAX_BYTES = env.int("VOC_RECORDING_MAX_BYTES", default=200 * 1024 * 1024)
RECORDING_MAX_DURATION_S = env.float("VOC_RECORDING_MAX_DURATION_S", default=3 * 3600)
RECORDING_MAX_ATTEMPTS = env.int("VOC_RECORDING_MAX_ATTEMPTS", default=3)
# A job in "processing" holds a lease that its worker renews every RECORDING_HEARTBEAT_S
# while it works; a lease not renewed for RECORDING_LEASE_TTL_S means the worker is gone, and
# the job is taken over (by a redelivered message or the sweeper) at once. Losing a worker
# does not use up an attempt; RECORDING_MAX_LOSSES bounds a file that keeps killing workers.
RECORDING_HEARTBEAT_S = env.float("VOC_RECORDING_HEARTBEAT_S", default=5.0)
RECORDING_LEASE_TTL_S = env.float("VOC_RECORDING_LEASE_TTL_S", default=30.0)
RECORDING_MAX_LOSSES = env.int("VOC_RECORDING_MAX_LOSSES", default=5)
# A queued job older than this is sent to the broker again (the filesystem broker
# loses a task whose worker was killed); duplicates are harmless, the job is idempotent.
RECORDING_QUEUED_STALE_S = env.int("VOC_RECORDING_QUEUED_STALE_S", default=600)
RECORDING_MUTE_PAD_S = 0.3
# A stereo call recording: the speaker on the first and the second channel (issue 16).
RECORDING_CHANNEL_SPEAKERS = env.list("VOC_RECORDING_CHANNEL_SPEAKERS", default=["agent", "customer"])
# How a stereo call is recognised: "channels" (each channel on its own) or "downmix" (one pass over
# the mix, each word given to the louder channel; recordings.stereo, bench/results/qa-2026-12-08.md).
RECORDING_STEREO_TRANSCRIPTION = env("VOC_RECORDING_STEREO_TRANSCRIPTION", default="channels")
TRANSCRIPTION_ENGINE = env("VOC_TRANSCRIPTION_ENGINE", default="faster-whisper")  # or "openai-whisper"
TRANSCRIPTION_MODEL = env("VOC_TRANSCRIPTION_MODEL", default="pkg:base")  # name, local path or pkg:...
TRANSCRIPTION_MODEL_CACHE = Path(env("VOC_TRANSCRIPTION_MODEL_CACHE", default=str(VAR_DIR / "models")))
TRANSCRIPTION_CPU_THREADS = env.int("VOC_TRANSCRIPTION_CPU_THREADS", default=1)
# The sweeper runs on the default queue: behind a transcription backlog it would come too late.
CELERY_BEAT_SCHEDULE["recordings-sweep"] = {
    "task": "recordings.tasks.recordings_sweep",
    "schedule": 30.0,
    "options": {"queue": "default"},
}
# Call QA's nightly batch: every transcribed call of the day without a QA score is queued for
# scoring (one task per call, shared by the workers) after the day's calls are in (issue 16).
CELERY_BEAT_SCHEDULE["callqa-nightly"] = {"task": "callqa.nightly_batch", "schedule": crontab(minute=30, hour=1)}

# --- Workflow (deadlines) -------------------------------------------------
# Internal target for the branch's first response, in working hours (9:00-17:30).
WORKFLOW_FIRST_RESPONSE_HOURS = env.float("VOC_FIRST_RESPONSE_HOURS", default=2.0)
# A case is "due soon" this many calendar days before its decision due date.
WORKFLOW_DUE_SOON_DAYS = env.int("VOC_DUE_SOON_DAYS", default=3)
WORKFLOW_UNMERGE_DAYS = env.int("VOC_UNMERGE_DAYS", default=30)  # head office may undo a merge this long

# --- Integrations (webhooks, API clients; docs/webhooks.md) -----------------------------
# Endpoint URLs resolving to loopback/private/link-local addresses are refused in production
# (SSRF); development and tests post to local receivers. Production also requires https.
INTEGRATIONS_ALLOW_PRIVATE_URLS = env.bool("VOC_WEBHOOK_ALLOW_PRIVATE_URLS", default=not PRODUCTION)
INTEGRATIONS_REQUIRE_HTTPS = env.bool("VOC_WEBHOOK_REQUIRE_HTTPS", default=PRODUCTION)
INTEGRATIONS_WEBHOOK_TIMEOUT_S = env.float("VOC_WEBHOOK_TIMEOUT_S", default=10.0)
# A claimed delivery not marked within this long (its worker died) is sent again.
INTEGRATIONS_WEBHOOK_LEASE_S = env.float("VOC_WEBHOOK_LEASE_S", default=60.0)
INTEGRATIONS_WEBHOOK_MAX_ATTEMPTS = env.int("VOC_WEBHOOK_MAX_ATTEMPTS", default=8)
INTEGRATIONS_WEBHOOK_BACKOFF_S = env.float("VOC_WEBHOOK_BACKOFF_S", default=30.0)  # 30 s, 1 min, 2 min…
INTEGRATIONS_WEBHOOK_BACKOFF_MAX_S = env.float("VOC_WEBHOOK_BACKOFF_MAX_S", default=3600.0)
INTEGRATIONS_SEND_DEBOUNCE_S = env.float("VOC_WEBHOOK_SEND_DEBOUNCE_S", default=1.0)
CELERY_BEAT_SCHEDULE["integrations-send-webhooks"] = {"task": "integrations.send_webhooks", "schedule": 30.0}
# Delivered or failed events are kept this many days (for the delivery log), then pruned nightly.
INTEGRATIONS_OUTBOX_KEEP_DAYS = env.int("VOC_WEBHOOK_KEEP_DAYS", default=30)
CELERY_BEAT_SCHEDULE["integrations-outbox-prune"] = {
    "task": "integrations.outbox_prune",
    "schedule": crontab(minute=10, hour=3),
}

# --- Retention (complaints.retention, manage.py retention) ----------------------------------
# Closed cases are kept at least 3 years after closure (regulation; a shorter policy fails the
# system check complaints.E110), then anonymised or purged. The weekly job records a dry run
# (counts in the audit trail) until scheduled_apply is on.
VOC_RETENTION = {
    "min_years": env.int("VOC_RETENTION_YEARS", default=3),
    "action": env("VOC_RETENTION_ACTION", default="anonymise"),  # or "purge"
    "batch_size": env.int("VOC_RETENTION_BATCH_SIZE", default=200),
    "scheduled_apply": env.bool("VOC_RETENTION_SCHEDULED_APPLY", default=False),
}
CELERY_BEAT_SCHEDULE["complaints-retention-weekly"] = {
    "task": "complaints.retention_run",
    "schedule": crontab(minute=40, hour=3, day_of_week="sun"),
}

# --- Email ----------------------------------------------------------------
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="voc@bank.example")
# the relay outgoing mail (the acknowledgements to customers' mail) goes through, with
# DJANGO_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend
EMAIL_HOST = env("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=25)
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", default=False)

# --- Logging --------------------------------------------------------------
# Every handler masks card, phone and ID numbers in each record (voc.log_filters); a test
# fails on a handler without the filter. Django's own default handlers are replaced: its
# console and mail_admins handlers have no mask (and an error e-mail carries the request's
# POST data), so django.* records reach the root handler. Celery workers and beat keep this
# configuration (voc.celery); gunicorn's handlers: voc/gunicorn_conf.py.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_pii": {"()": "voc.log_filters.MaskPIIFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_pii"]},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server", "filters": ["mask_pii"]},
    },
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}

# --- Production hardening -------------------------------------------------
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    # Load balancers and monitors probe /healthz (voc.health) over plain http inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
    # X-Forwarded-Proto says "this came in over https" only when a proxy we trust set it;
    # without one, any client could send the header and pass as https.
    if TRUSTED_PROXY_COUNT > 0:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # HSTS starts short (an hour): a certificate or proxy mistake locks browsers out only
    # that long. Raise DJANGO_HSTS_SECONDS (e.g. 31536000) once https is known to work.
    # includeSubDomains and preload bind every host of the domain, and preload cannot be
    # taken back quickly, so both are opt-in; the deploy checks that only say "not set"
    # (security.W005, W021) are silenced while they are off on purpose.
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
    SILENCED_SYSTEM_CHECKS = [
        *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
        *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
    ]
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_AGE", default=8 * 3600)

# --- Web hardening (voc/hardening.py) ---------------------------------------
from voc.hardening import apply as _apply_hardening  # noqa: E402

_apply_hardening(globals())
