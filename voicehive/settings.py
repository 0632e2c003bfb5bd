"""VoiceHive settings: one module, every environment-specific value from env.

Embedded defaults need nothing installed (SQLite, console email, a filesystem
Celery broker), so `make run` works on a bare machine. Production sets
DATABASE_URL, REDIS_URL, SECRET_KEY and the integration secrets.
"""

import datetime as dt
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

# --- Core ---
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set SECRET_KEY (or DEBUG=true for local development)."
        )
    SECRET_KEY = "django-insecure-local-development-only"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "apps.dashboard.admin_config.VoiceHiveAdminConfig",  # django.contrib.admin, our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "anymail",
    "axes",
    "apps.core",
    "apps.businesses",
    "apps.notifications",
    "apps.leads",
    "apps.appointments",
    "apps.calendars",
    "apps.calls",
    "apps.texting",
    "apps.roxy",
    "apps.vapi",
    "apps.privacy",
    "apps.staff",
    "apps.frontdesk",
    "apps.blueprints",
    "apps.demo",
    "apps.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # VAPI's webhook answers here, past the staff pages' middleware below
    # (sessions, CSRF, auth, axes, CSP...): it authenticates itself in the view.
    "apps.vapi.api.fast_path.VapiWebhookFastPath",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.businesses.middleware.BusinessTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: it turns a lockout into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "voicehive.urls"
WSGI_APPLICATION = "voicehive.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
            ],
        },
    },
]

# --- Database ---
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock when a transaction starts, so the
        # check-then-insert in booking is serialised on SQLite (PostgreSQL has
        # an exclusion constraint instead).
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# --- Auth ---
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ADMIN_URL = env.str("ADMIN_URL", default="admin/")
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses logins while locked out
    "django.contrib.auth.backends.ModelBackend",
]
# Repeated failed logins for one username from one address lock that pair out for a
# cool-off period; a success resets the count.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

# --- Internationalisation ---
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# What Roxy speaks (apps.businesses.models.Language; issue #16): her words, tool
# answers and the caller's texts and emails are translated per call with
# translation.override, from the catalogs in locale/. Staff pages stay English:
# no LocaleMiddleware, so the webhook pays nothing for it.
LANGUAGES = [("en", "English"), ("es", "Español"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Every staff page writes dates one way, "Sat 15 Mar 2025, 1:00 PM" (voicehive/formats).
FORMAT_MODULE_PATH = ["voicehive.formats"]
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="US")

# --- Static files ---
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security ---
# Production defaults; DEBUG turns off the HTTPS-only ones for local work.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True
)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Joining the browsers' HSTS preload list is the domain owner's one-way decision,
# so it stays opt-in (SECURE_HSTS_PRELOAD) and its deploy-check warning is silenced.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Pages run and style only with files from this site: no inline script or style
# (templates/admin keeps its CSS in apps/dashboard/static), so markup slipped into
# a page runs nothing. Call recordings stream through VoiceHive (apps/calls/recordings.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "media-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- REST framework ---
REST_FRAMEWORK = {
    # Closed by default: the VAPI webhook opts out with its own permission.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "VoiceHive API",
    "DESCRIPTION": "The server VAPI calls during and after Roxy's phone calls.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}

# --- Celery ---
# REDIS_URL in production; with none set, a filesystem broker under var/ lets
# `make run` work with no Redis at all (worker and web share the folder).
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str(
    "CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost//"
)
CELERY_BROKER_TRANSPORT_OPTIONS = (
    # A Redis host that does not answer must not hang a publish for minutes.
    {"socket_connect_timeout": 1, "socket_timeout": 5}
    if REDIS_URL or env.str("CELERY_BROKER_URL", default="")
    else {
        "data_folder_in": str(BASE_DIR / "var" / "celery"),
        "data_folder_out": str(BASE_DIR / "var" / "celery"),
        "processed_folder": str(BASE_DIR / "var" / "celery-processed"),
        "control_folder": str(BASE_DIR / "var" / "celery-control"),
        "store_processed": False,
    }
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing gets one immediate reconnect (a pooled connection may be stale after a
# Redis restart), then gives up: every enqueue is best effort over a database row, so
# an outage must cost a waiting caller milliseconds, not the default ~0.6 s per task.
# (retry=False is no faster: kombu then waits out the connect timeout, ~6 s.)
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0,
    "interval_max": 0,
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=180)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
# acks_late / reject_on_worker_lost are set per task, not globally: only tasks that
# are idempotent (claimed rows, state guards) may run again after a worker dies.
CELERY_BEAT_SCHEDULE = {
    # Every minute: re-enqueue notifications still queued (broker was down, quiet
    # hours are over) and free any stuck in "sending" after their worker died.
    "sweep-notifications": {
        "task": "notifications.sweep_notifications",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Every minute: ring the analysis worker again for calls still waiting for
    # analysis after ANALYSIS_SWEEP_GRACE_SECONDS (the broker was down at hang-up,
    # or a worker died mid-analysis).
    "sweep-pending-analyses": {
        "task": "calls.sweep_pending_analyses",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Every ten minutes: queue reminders for appointments starting within
    # REMINDER_LEAD_HOURS that have not had one yet.
    "send-due-reminders": {
        "task": "appointments.send_due_reminders",
        "schedule": 600.0,
        "options": {"expires": 540},
    },
    # Hourly, at five past: each business whose local time has reached
    # DAILY_DIGEST_HOUR gets yesterday's summary, once per local date.
    "send-daily-digests": {
        "task": "dashboard.send_daily_digests",
        "schedule": crontab(minute=5),
        "options": {"expires": 3000},
    },
    # Every ten minutes: ask the worker again to delete VAPI's copy of erased calls
    # (and, with VAPI_DELETE_PURGED_CALLS, purged ones) that VAPI still holds: the
    # broker or VAPI was down, or the API key was missing or refused.
    "sweep-vapi-deletions": {
        "task": "privacy.sweep_vapi_deletions",
        "schedule": 600.0,
        "options": {"expires": 540},
    },
    # Every minute: ring a sync for calendar connections due one (each is synced at
    # least every CALENDAR_SYNC_INTERVAL_SECONDS; at most CALENDAR_SYNC_BATCH_SIZE a run).
    "sync-due-calendars": {
        "task": "calendars.sync_due_calendars",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Every minute: ring appointment writes into booking calendars still pending
    # (broker down, backoff over), free dead workers' claims, remove deleted ones.
    "sweep-calendar-writes": {
        "task": "calendars.sweep_calendar_writes",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Nightly at 03:30 UTC: blank transcripts, recordings and raw payloads older than
    # each business's data_retention_days (the purge_call_data command, scheduled).
    "purge-call-data": {
        "task": "privacy.purge_call_data",
        "schedule": crontab(hour=3, minute=30),
        "options": {"expires": 3600},
    },
}

# --- Logging ---
# Readable lines while developing, one JSON object per line in production;
# every record carries the VAPI call id when one is being handled.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"vapi_call_id": {"()": "apps.core.logging.VapiCallIdFilter"}},
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [call=%(vapi_call_id)s] "
            "%(message)s %(ids)s"
        },
        "json": {
            # Adds call_id, notification_id, appointment_id... when in context.
            "()": "apps.core.logging.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(vapi_call_id)s",
            "rename_fields": {
                "asctime": "time",
                "levelname": "level",
                "name": "logger",
            },
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["vapi_call_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},  # it logs every successful login at INFO
    },
}

# The integrations and apps below come in the apps' order, from the bottom of the
# chain up (docs/architecture.md): core, notifications, appointments, calls, Roxy,
# VAPI's side, privacy, then staff reporting.

# --- Core: links ---
# Where staff open VoiceHive, e.g. https://app.voicehive.example; staff alerts link
# to the call or appointment there. Blank leaves the links out.
SITE_URL = env.str("SITE_URL", default="")

# --- Notifications: email ---
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Roxy at VoiceHive <roxy@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# SMTP (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend): host, port, login,
# TLS (STARTTLS, usually port 587) or SSL (implicit TLS, usually 465), and a timeout
# below the Celery soft time limit so a hung server fails the send, not the task.
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=20.0)

# --- Notifications: providers, SMS and delivery ---
# EMAIL_BACKEND (above) picks the email provider, e.g.
# anymail.backends.postmark.EmailBackend; ANYMAIL_API_KEY is that provider's key and
# is filed under the setting name its anymail backend reads. Delivery events arrive at
# /webhooks/anymail/<esp>/tracking/, guarded by ANYMAIL_WEBHOOK_SECRET ("user:pass",
# comma-separated to rotate) and, for ESPs that sign, ANYMAIL_WEBHOOK_SIGNING_KEY.
_ANYMAIL_ESP = (
    EMAIL_BACKEND.split(".")[2] if EMAIL_BACKEND.startswith("anymail.backends.") else ""
)
_ANYMAIL_KEY_NAMES = {
    "postmark": "SERVER_TOKEN",
    "mailersend": "API_TOKEN",
    "mailtrap": "API_TOKEN",
    "scaleway": "SECRET_KEY",
}
_ANYMAIL_SIGNING_KEY_NAMES = {
    "mailgun": "WEBHOOK_SIGNING_KEY",
    "postal": "WEBHOOK_KEY",
    "mailersend": "SIGNING_SECRET",
    "resend": "SIGNING_SECRET",
    "mailtrap": "TRACKING_SECRET",
}
ANYMAIL = {
    "WEBHOOK_SECRET": env.list("ANYMAIL_WEBHOOK_SECRET", default=[]),
    # Below the Celery soft time limit: a hung ESP fails the send, not the task.
    "REQUESTS_TIMEOUT": env.float("ANYMAIL_REQUESTS_TIMEOUT", default=20.0),
}
if _ANYMAIL_ESP and env.str("ANYMAIL_API_KEY", default=""):
    _key_name = _ANYMAIL_KEY_NAMES.get(_ANYMAIL_ESP, "API_KEY")
    ANYMAIL[f"{_ANYMAIL_ESP.upper()}_{_key_name}"] = env.str("ANYMAIL_API_KEY")
if _ANYMAIL_ESP in _ANYMAIL_SIGNING_KEY_NAMES and env.str(
    "ANYMAIL_WEBHOOK_SIGNING_KEY", default=""
):
    _key_name = _ANYMAIL_SIGNING_KEY_NAMES[_ANYMAIL_ESP]
    ANYMAIL[f"{_ANYMAIL_ESP.upper()}_{_key_name}"] = env.str(
        "ANYMAIL_WEBHOOK_SIGNING_KEY"
    )
# SMS: Twilio when an account is configured, else texts are printed to the console.
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
TWILIO_API_BASE_URL = env.str("TWILIO_API_BASE_URL", default="https://api.twilio.com")
TWILIO_TIMEOUT_SECONDS = env.float("TWILIO_TIMEOUT_SECONDS", default=15.0)
SMS_BACKEND = env.str(
    "SMS_BACKEND",
    default=(
        "apps.notifications.channels.TwilioSmsBackend"
        if TWILIO_ACCOUNT_SID
        else "apps.notifications.channels.ConsoleSmsBackend"
    ),
)
# Texts to callers that would land in this local window wait until it ends.
QUIET_HOURS_START = env.str("QUIET_HOURS_START", default="21:00")
QUIET_HOURS_END = env.str("QUIET_HOURS_END", default="08:00")
# Transient send failures (network, timeouts, 429, 5xx) are retried from the row:
# the first after 15-30 s, each wait doubling up to the ceiling (1 h), with jitter
# (half fixed, half random, never 0 s). A message is given up (FAILED, with the
# reason) once NOTIFICATIONS_RETRY_FOR_HOURS have passed since it was queued, or
# after NOTIFICATIONS_MAX_ATTEMPTS tries (a bound on messages that kill the worker).
NOTIFICATIONS_RETRY_FIRST_SECONDS = env.int(
    "NOTIFICATIONS_RETRY_FIRST_SECONDS", default=30
)
NOTIFICATIONS_RETRY_CEILING_SECONDS = env.int(
    "NOTIFICATIONS_RETRY_CEILING_SECONDS", default=3600
)
NOTIFICATIONS_RETRY_FOR_HOURS = env.int("NOTIFICATIONS_RETRY_FOR_HOURS", default=48)
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=100)
# The sweep leaves a queued row alone this long after its last enqueue.
NOTIFICATIONS_SWEEP_GRACE_SECONDS = env.int(
    "NOTIFICATIONS_SWEEP_GRACE_SECONDS", default=120
)
NOTIFICATIONS_SWEEP_BATCH_SIZE = env.int("NOTIFICATIONS_SWEEP_BATCH_SIZE", default=500)

# --- Appointments: scheduling and reminders ---
# Offered start times step this many minutes from each working interval's start.
SCHEDULING_SLOT_MINUTES = env.int("SCHEDULING_SLOT_MINUTES", default=30)
# No slot starts sooner than this after now (time to get there, prepare the chair).
SCHEDULING_MIN_NOTICE_MINUTES = env.int("SCHEDULING_MIN_NOTICE_MINUTES", default=60)
# The last bookable day is today (business local) plus this many days.
SCHEDULING_MAX_DAYS_AHEAD = env.int("SCHEDULING_MAX_DAYS_AHEAD", default=90)
# Reminders go out this many hours (elapsed time, not wall-clock) before a visit.
REMINDER_LEAD_HOURS = env.int("REMINDER_LEAD_HOURS", default=24)

# --- Calendars: outside calendars (Google, Microsoft 365, CalDAV) ---
# Comma-separated Fernet keys, newest first, for tokens and CalDAV passwords at rest
# (generate: python -c "from cryptography.fernet import Fernet;
# print(Fernet.generate_key().decode())"). Required in production (calendars.E002);
# with DEBUG and none set, a key derived from SECRET_KEY (warning calendars.W001).
# Rotate by putting a new key in front, then run rotate_calendar_secrets.
CALENDAR_ENCRYPTION_KEYS = env.list("CALENDAR_ENCRYPTION_KEYS", default=[])
# Each live connection is synced at least this often (push notifications come sooner).
CALENDAR_SYNC_INTERVAL_SECONDS = env.int("CALENDAR_SYNC_INTERVAL_SECONDS", default=300)
# The sync beat (every minute) claims at most this many due connections per run.
CALENDAR_SYNC_BATCH_SIZE = env.int("CALENDAR_SYNC_BATCH_SIZE", default=500)
# Busy time is kept from this many days back to this many days ahead (further
# ahead for a business whose booking horizon is longer: horizon + 3 days).
CALENDAR_SYNC_DAYS_BACK = env.int("CALENDAR_SYNC_DAYS_BACK", default=1)
CALENDAR_SYNC_DAYS_AHEAD = env.int("CALENDAR_SYNC_DAYS_AHEAD", default=120)
# Availability calls busy data stale when a calendar's last sync is older than this.
CALENDAR_STALE_AFTER_SECONDS = env.int("CALENDAR_STALE_AFTER_SECONDS", default=900)
# Outbox writes into booking calendars: attempts before FAILED, and the backoff base.
CALENDAR_WRITE_MAX_ATTEMPTS = env.int("CALENDAR_WRITE_MAX_ATTEMPTS", default=8)
CALENDAR_WRITE_BACKOFF_SECONDS = env.int("CALENDAR_WRITE_BACKOFF_SECONDS", default=30)
# Roxy's just-in-time free/busy check before booking: at most this long, then fail open.
CALENDAR_BOOKING_CHECK_TIMEOUT_SECONDS = env.float(
    "CALENDAR_BOOKING_CHECK_TIMEOUT_SECONDS", default=1.5
)
# HTTP timeout for every provider call made by the worker.
CALENDAR_HTTP_TIMEOUT_SECONDS = env.float("CALENDAR_HTTP_TIMEOUT_SECONDS", default=20.0)
# Google Calendar: an OAuth client (Google Cloud console, type "Web application")
# with redirect URI SITE_URL + /calendars/oauth/google/callback/. Push notifications
# arrive at SITE_URL + /calendars/push/google/ (needs an https SITE_URL).
GOOGLE_OAUTH_CLIENT_ID = env.str("GOOGLE_OAUTH_CLIENT_ID", default="")
GOOGLE_OAUTH_CLIENT_SECRET = env.str("GOOGLE_OAUTH_CLIENT_SECRET", default="")
# Microsoft 365 / Outlook.com: an app registration (Microsoft Entra admin center)
# with the web redirect URI SITE_URL + /calendars/oauth/microsoft/callback/ and
# delegated Graph permissions offline_access, User.Read, Calendars.ReadWrite.
# MICROSOFT_TENANT: "common" (work and personal accounts), "organizations",
# "consumers" or one tenant's id. Notifications: SITE_URL + /calendars/push/microsoft/.
MICROSOFT_CLIENT_ID = env.str("MICROSOFT_CLIENT_ID", default="")
MICROSOFT_CLIENT_SECRET = env.str("MICROSOFT_CLIENT_SECRET", default="")
MICROSOFT_TENANT = env.str("MICROSOFT_TENANT", default="common")

# --- Calls: post-call analysis (OpenAI) ---
# Post-call analysis. With no key, calls use VAPI's own analysis where it sent one,
# and are otherwise marked "skipped".
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_MODEL = env.str("OPENAI_MODEL", default="gpt-4o-mini")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="https://api.openai.com/v1")
# Below CELERY_TASK_SOFT_TIME_LIMIT; the SDK itself never retries (Celery does).
OPENAI_TIMEOUT_SECONDS = env.float("OPENAI_TIMEOUT_SECONDS", default=60.0)

# --- Calls: post-call pipeline ---
# A call still waiting for analysis this long after its last enqueue (or claim) is
# rung again by the sweep. Longer than one analysis attempt (OPENAI_TIMEOUT_SECONDS)
# plus the retry backoff, so a call being worked on is not rung twice.
ANALYSIS_SWEEP_GRACE_SECONDS = env.int("ANALYSIS_SWEEP_GRACE_SECONDS", default=180)
ANALYSIS_SWEEP_BATCH_SIZE = env.int("ANALYSIS_SWEEP_BATCH_SIZE", default=200)
# Transient OpenAI failures (network, timeouts, 429, 5xx) are retried from the call
# row on the same kind of schedule as notifications: first after 15-30 s, doubling up
# to 1 h, given up (FAILED, with the reason) after ANALYSIS_RETRY_FOR_HOURS.
ANALYSIS_RETRY_FIRST_SECONDS = env.int("ANALYSIS_RETRY_FIRST_SECONDS", default=30)
ANALYSIS_RETRY_CEILING_SECONDS = env.int("ANALYSIS_RETRY_CEILING_SECONDS", default=3600)
ANALYSIS_RETRY_FOR_HOURS = env.int("ANALYSIS_RETRY_FOR_HOURS", default=48)
# A new lead whose call scored at least this moves from "new" to "qualified".
LEAD_QUALIFIED_SCORE = env.int("LEAD_QUALIFIED_SCORE", default=70)
# A caller who hangs up within this many seconds, having said at most one thing
# and with no tool run, counts as a missed call.
MISSED_CALL_MAX_SECONDS = env.int("MISSED_CALL_MAX_SECONDS", default=20)
# Staff alerts (new lead, urgent follow-up, missed call) only for calls that ended
# this recently, so re-running analysis on old calls never alerts about them.
POST_CALL_ALERT_MAX_AGE_HOURS = env.int("POST_CALL_ALERT_MAX_AGE_HOURS", default=24)

# --- Roxy ---
# The transient assistant returned on assistant-request, and the tools it calls.
# Where VAPI sends the call's later messages and tool calls (our webhook URL);
# blank leaves routing to the phone number's or the org's server URL.
VAPI_SERVER_URL = env.str("VAPI_SERVER_URL", default="")
# A VAPI custom credential (bearer / X-Vapi-Secret / HMAC) attached to that URL.
VAPI_CREDENTIAL_ID = env.str("VAPI_CREDENTIAL_ID", default="")
# Unknown or inactive numbers are forwarded here (E.164) instead of refused.
VAPI_FALLBACK_TRANSFER_NUMBER = env.str("VAPI_FALLBACK_TRANSFER_NUMBER", default="")
VAPI_SERVER_TIMEOUT_SECONDS = env.int("VAPI_SERVER_TIMEOUT_SECONDS", default=20)
ROXY_TOOL_TIMEOUT_SECONDS = env.int("ROXY_TOOL_TIMEOUT_SECONDS", default=15)
ROXY_MODEL_PROVIDER = env.str("ROXY_MODEL_PROVIDER", default="openai")
ROXY_MODEL = env.str("ROXY_MODEL", default="gpt-4o")
ROXY_MODEL_TEMPERATURE = env.float("ROXY_MODEL_TEMPERATURE", default=0.3)
ROXY_MODEL_MAX_TOKENS = env.int("ROXY_MODEL_MAX_TOKENS", default=250)
ROXY_VOICE_PROVIDER = env.str("ROXY_VOICE_PROVIDER", default="11labs")
ROXY_VOICE_ID = env.str("ROXY_VOICE_ID", default="sarah")
ROXY_VOICE_MODEL = env.str("ROXY_VOICE_MODEL", default="eleven_turbo_v2_5")
ROXY_TRANSCRIBER_PROVIDER = env.str("ROXY_TRANSCRIBER_PROVIDER", default="deepgram")
ROXY_TRANSCRIBER_MODEL = env.str("ROXY_TRANSCRIBER_MODEL", default="nova-3")
ROXY_LANGUAGE = env.str("ROXY_LANGUAGE", default="en")
ROXY_MAX_DURATION_SECONDS = env.int("ROXY_MAX_DURATION_SECONDS", default=900)
ROXY_RECORDING_ENABLED = env.bool("ROXY_RECORDING_ENABLED", default=True)
# How far ahead the prompt lists closures, and how many openings Roxy offers at once.
ROXY_CLOSURE_LOOKAHEAD_DAYS = env.int("ROXY_CLOSURE_LOOKAHEAD_DAYS", default=42)
ROXY_SLOTS_OFFERED = env.int("ROXY_SLOTS_OFFERED", default=4)
# Days searched when the caller gives no date, and when a day is full.
ROXY_SEARCH_DAYS = env.int("ROXY_SEARCH_DAYS", default=7)

# --- Texting: two-way texts with customers (Twilio webhooks, replies, STOP) ---
# Where Twilio reports each text's delivery. Empty: SITE_URL + /webhooks/twilio/status/
# (and no callbacks at all without SITE_URL).
TWILIO_STATUS_CALLBACK_URL = env.str("TWILIO_STATUS_CALLBACK_URL", default="")
# The public origin Twilio signs its webhook requests for (X-Twilio-Signature covers
# the exact URL it called). Empty: SITE_URL, else the request's own (proxy headers).
TWILIO_WEBHOOK_BASE_URL = env.str("TWILIO_WEBHOOK_BASE_URL", default="")
# A reply of "reschedule" gets this many numbered free times, held this long.
TEXTING_SLOTS_OFFERED = env.int("TEXTING_SLOTS_OFFERED", default=3)
TEXTING_OFFER_MINUTES = env.int("TEXTING_OFFER_MINUTES", default=120)
TEXTING_SEARCH_DAYS = env.int("TEXTING_SEARCH_DAYS", default=14)

# --- VAPI: the webhook ---
# The webhook (/api/v1/vapi/webhook/) fails closed: with neither secret below set,
# every request is refused with 401. Either configured mode passing is enough.
# Bearer mode, on when VAPI_WEBHOOK_SECRET is set: VAPI sends the token in
# VAPI_AUTH_HEADER after VAPI_AUTH_PREFIX ("Authorization: Bearer <token>"). For
# the legacy header set VAPI_AUTH_HEADER=X-Vapi-Secret and VAPI_AUTH_PREFIX empty.
VAPI_WEBHOOK_SECRET = env.str("VAPI_WEBHOOK_SECRET", default="")
# Also accepted while a new secret rolls out; clear it once VAPI sends the new one.
VAPI_WEBHOOK_SECRET_PREVIOUS = env.str("VAPI_WEBHOOK_SECRET_PREVIOUS", default="")
VAPI_AUTH_HEADER = env.str("VAPI_AUTH_HEADER", default="Authorization")
VAPI_AUTH_PREFIX = env.str("VAPI_AUTH_PREFIX", default="Bearer ")
# HMAC mode, on when VAPI_HMAC_SECRET is set (a VAPI "hmac" credential with
# sha256 and the default payload format "{timestamp}.{body}").
VAPI_HMAC_SECRET = env.str("VAPI_HMAC_SECRET", default="")
VAPI_HMAC_SECRET_PREVIOUS = env.str("VAPI_HMAC_SECRET_PREVIOUS", default="")
VAPI_HMAC_SIGNATURE_HEADER = env.str(
    "VAPI_HMAC_SIGNATURE_HEADER", default="x-signature"
)
VAPI_HMAC_TIMESTAMP_HEADER = env.str(
    "VAPI_HMAC_TIMESTAMP_HEADER", default="x-timestamp"
)
# The credential's signaturePrefix (e.g. "sha256=") and signatureEncoding (hex|base64).
VAPI_HMAC_SIGNATURE_PREFIX = env.str("VAPI_HMAC_SIGNATURE_PREFIX", default="")
VAPI_HMAC_SIGNATURE_ENCODING = env.str("VAPI_HMAC_SIGNATURE_ENCODING", default="hex")
# Replay protection: signed timestamps further off than this, either way, are refused.
VAPI_HMAC_TOLERANCE_SECONDS = env.int("VAPI_HMAC_TOLERANCE_SECONDS", default=300)
# Larger bodies get 413. Read by the webhook itself, so Django's 2.5 MB
# DATA_UPLOAD_MAX_MEMORY_SIZE does not apply to it.
VAPI_MAX_BODY_BYTES = env.int("VAPI_MAX_BODY_BYTES", default=5 * 1024 * 1024)
# A redelivered tool call or assistant request that arrives while the first copy
# is still being answered waits this long for that answer before giving up.
VAPI_DUPLICATE_WAIT_SECONDS = env.float("VAPI_DUPLICATE_WAIT_SECONDS", default=5.0)

# --- VAPI: REST API ---
# Used by operator commands (sync_vapi_assistant, reconcile_vapi_calls, doctor) and
# by the worker deleting VAPI's copy of erased calls, never by the webhook. The
# private API key is a bearer token: keep it out of logs.
VAPI_API_URL = env.str("VAPI_API_URL", default="https://api.vapi.ai")
VAPI_API_KEY = env.str("VAPI_API_KEY", default="")
VAPI_API_TIMEOUT_SECONDS = env.float("VAPI_API_TIMEOUT_SECONDS", default=30.0)
# VAPI sends the end-of-call report only after its post-call analysis, so a call
# that ended more recently than this is left for the webhook by reconcile_vapi_calls.
VAPI_RECONCILE_MIN_AGE_SECONDS = env.int("VAPI_RECONCILE_MIN_AGE_SECONDS", default=300)

# --- Privacy ---
# Erased callers' calls are always deleted at VAPI too. This also deletes VAPI's copy
# of calls the nightly retention purge blanks: thousands a night, and gone from
# VAPI's own dashboard. Turning it on also covers every call purged before.
VAPI_DELETE_PURGED_CALLS = env.bool("VAPI_DELETE_PURGED_CALLS", default=False)

# --- Dashboard: staff reporting ---
# Local hour (0-23, each business's own time zone) for yesterday's staff digest.
DAILY_DIGEST_HOUR = env.int("DAILY_DIGEST_HOUR", default=7)
