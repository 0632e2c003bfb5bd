"""VoiceHive settings: one module, every environment-specific value from env.

Embedded defaults need nothing installed (SQLite, console email, a filesystem
Celery broker), so `make run` works on a bare machine. Production sets
DATABASE_URL, REDIS_URL, SECRET_KEY and the integration secrets.
"""

from pathlib import Path

import environ
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
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "anymail",
    "apps.core",
    "apps.businesses",
    "apps.leads",
    "apps.calls",
    "apps.appointments",
    "apps.notifications",
    "apps.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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

# --- Internationalisation ---
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
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
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

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
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {}
    if REDIS_URL or env.str("CELERY_BROKER_URL", default="")
    else {
        "data_folder_in": str(BASE_DIR / "var" / "celery"),
        "data_folder_out": str(BASE_DIR / "var" / "celery"),
        "processed_folder": str(BASE_DIR / "var" / "celery-processed"),
        "store_processed": False,
    }
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=180)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"

# --- Email ---
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Roxy at VoiceHive <roxy@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

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
            "format": "%(asctime)s %(levelname)s %(name)s [call=%(vapi_call_id)s] %(message)s"
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
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
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

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

# --- Scheduling ---
# Offered start times step this many minutes from each working interval's start.
SCHEDULING_SLOT_MINUTES = env.int("SCHEDULING_SLOT_MINUTES", default=30)
# No slot starts sooner than this after now (time to get there, prepare the chair).
SCHEDULING_MIN_NOTICE_MINUTES = env.int("SCHEDULING_MIN_NOTICE_MINUTES", default=60)
# The last bookable day is today (business local) plus this many days.
SCHEDULING_MAX_DAYS_AHEAD = env.int("SCHEDULING_MAX_DAYS_AHEAD", default=90)
