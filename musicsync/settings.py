"""Settings for Music Sync Hub: one module, read from the environment.

Every variable is documented in docs/configuration.md and .env.example. With nothing
set, the app runs embedded: SQLite under var/, a local-memory cache, jobs in the web
process, and the platform sandbox instead of Spotify and YouTube.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from musicsync.env import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("MUSICSYNC_VAR_DIR", str(BASE_DIR / "var")))
TESTING = "pytest" in sys.modules or env_bool("MUSICSYNC_TESTING", False)

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and not TESTING:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-debug-and-tests"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django_prometheus",
    # django.contrib.admin, with the two-factor admin site as admin.site.
    "accounts.apps.MusicSyncAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.spotify",
    "allauth.socialaccount.providers.google",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_ratelimit",
    "csp",
    "template_partials",
    "django_dramatiq",
    "musicsync",
    "accounts",
    "platforms",
    "syncing",
]

MIDDLEWARE = [
    # First, so every later line logged for a request carries its request id.
    "musicsync.observability.RequestContextMiddleware",
    # /metrics is answered here, before the Host check: scrapers come by IP (own guard).
    "musicsync.metrics.MetricsEndpointMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.otp.TwoFactorRequiredMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "musicsync.urls"
WSGI_APPLICATION = "musicsync.wsgi.application"
SITE_ID = 1

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
                "musicsync.context_processors.site",
            ],
        },
    },
]

# --- Stores -------------------------------------------------------------------------

_default_sqlite = f"sqlite:///{VAR_DIR / 'musicsync.sqlite3'}"
DATABASE_URL = env_str("DATABASE_URL", _default_sqlite)
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
except (ValueError, KeyError) as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL we can use: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        # WAL lets the in-process worker write while pages read.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    # Tests use a file, not SQLite's shared in-memory database, whose table locks make
    # a worker thread and the test trip over each other; embedded mode runs on a file too.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    # django-prometheus's wrappers of the same backends count queries and cache hits.
    DATABASES["default"]["ENGINE"] = "django_prometheus.db.backends.sqlite3"
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"]["ENGINE"] = "django_prometheus.db.backends.postgresql"

REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss", "unix"))
EMBEDDED = not REDIS_URL

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "musicsync",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    # That backend is django_redis's RedisCache with counters; django-ratelimit only knows
    # the class by its original name.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
else:
    CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.locmem.LocMemCache",
            "LOCATION": "musicsync",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
    # django-ratelimit wants a shared cache; with no Redis, limits are per process.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

# How long a person's rendered page or API list may be given again while no data changes
# (musicsync/pagecache.py). Only with a shared cache: local memory is per process, and a
# worker's writes in another process could not mark it out of date.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 60 if REDIS_URL else 0, minimum=0)
if PAGE_CACHE_SECONDS and not REDIS_URL:
    raise ImproperlyConfigured(
        "PAGE_CACHE_SECONDS needs REDIS_URL (a cache shared by all processes)"
    )

# --- Background jobs ----------------------------------------------------------------

_DRAMATIQ_MIDDLEWARE = [
    # A no-op until Sentry is initialised; listed so a broker made before init still reports.
    "sentry_sdk.integrations.dramatiq.SentryMiddleware",
    "dramatiq.middleware.AgeLimit",
    "dramatiq.middleware.TimeLimit",
    "dramatiq.middleware.Callbacks",
    "dramatiq.middleware.Retries",
    "django_dramatiq.middleware.AdminMiddleware",
    "django_dramatiq.middleware.DbConnectionsMiddleware",
    # A job's writes mark cached pages out of date from a thread of their own (pagecache.py).
    "musicsync.pagecache.DeferBumpsInWorkers",
]
# Dramatiq's Prometheus middleware serves its own exporter (dramatiq_prom_port, 9191) from a
# process the `dramatiq` command forks, and only works there (it sets itself up on process
# boot): never in the web process, the embedded worker or tests.
_argv0 = Path(sys.argv[0])
IN_DRAMATIQ_CLI = _argv0.name in {"dramatiq", "dramatiq-gevent"} or _argv0.parent.name == "dramatiq"
DRAMATIQ_PROMETHEUS = env_bool("DRAMATIQ_PROMETHEUS", True) and IN_DRAMATIQ_CLI and bool(REDIS_URL)
if DRAMATIQ_PROMETHEUS:
    _DRAMATIQ_MIDDLEWARE.append("dramatiq.middleware.prometheus.Prometheus")
    # Every worker process's metrics (Dramatiq's and ours) go to files the exporter merges;
    # this must be set before prometheus_client is first imported, which is right after here.
    os.environ.setdefault(
        "PROMETHEUS_MULTIPROC_DIR",
        os.environ.get("dramatiq_prom_db", "/tmp/dramatiq-prometheus"),  # noqa: S108
    )
if REDIS_URL:
    DRAMATIQ_BROKER = {
        "BROKER": "dramatiq.brokers.redis.RedisBroker",
        "OPTIONS": {"url": REDIS_URL, "namespace": env_str("DRAMATIQ_NAMESPACE", "musicsync")},
        "MIDDLEWARE": _DRAMATIQ_MIDDLEWARE,
    }
else:
    DRAMATIQ_BROKER = {
        "BROKER": "dramatiq.brokers.stub.StubBroker",
        "OPTIONS": {},
        "MIDDLEWARE": _DRAMATIQ_MIDDLEWARE,
    }
DRAMATIQ_TASKS_DATABASE = "default"
DRAMATIQ_AUTODISCOVER_MODULES = ["tasks"]
# Embedded mode runs a worker inside the web process; tests start their own.
MUSICSYNC_EMBEDDED_WORKER = env_bool("MUSICSYNC_EMBEDDED_WORKER", EMBEDDED and not TESTING)
MUSICSYNC_WORKER_THREADS = env_int("MUSICSYNC_WORKER_THREADS", 2, minimum=1)
# Housekeeping (syncing/services/retention.py): an old run's "already in step" rows, and
# django-dramatiq's records of finished jobs, are deleted after this many days.
RUN_KEEP_LOG_DAYS = env_int("RUN_KEEP_LOG_DAYS", 30, minimum=1)
JOB_RECORD_DAYS = env_int("JOB_RECORD_DAYS", 7, minimum=1)

# --- Auth ---------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "accounts.backends.EmailBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env_choice(
    "ACCOUNT_EMAIL_VERIFICATION", "optional", ["none", "optional", "mandatory"]
)
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
# One address per person, changed (and re-confirmed) rather than collected.
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_FORMS = {"add_email": "accounts.forms.ChangeEmailForm"}
# Tell the person by email when their password or address changes.
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Music Sync Hub] "
# Logins, sign-ups and resets are limited by accounts.ratelimits (429 with Retry-After);
# allauth keeps its own limits for the rest (email sends, password changes).
ACCOUNT_RATE_LIMITS = {"login": None, "login_failed": None, "signup": None, "reset_password": None}

MUSICSYNC_2FA = env_choice("MUSICSYNC_2FA", "optional", ["off", "optional", "required"])
OTP_TOTP_ISSUER = "Music Sync Hub"

# Named rates for accounts.ratelimits ("count/period", period s, m, h or d, e.g. "30/10m").
MUSICSYNC_RATE_LIMITS = {
    "login-ip": env_str("RATE_LIMIT_LOGIN_IP", "30/10m"),
    "login-account": env_str("RATE_LIMIT_LOGIN_ACCOUNT", "10/10m"),
    "password-reset-ip": env_str("RATE_LIMIT_PASSWORD_RESET_IP", "10/h"),
    "password-reset-account": env_str("RATE_LIMIT_PASSWORD_RESET_ACCOUNT", "3/h"),
    "signup-ip": env_str("RATE_LIMIT_SIGNUP_IP", "10/h"),
    "two-factor-session": env_str("RATE_LIMIT_TWO_FACTOR_SESSION", "10/10m"),
    "sync-trigger": env_str("RATE_LIMIT_SYNC_TRIGGER", "30/h"),
    "api": env_str("RATE_LIMIT_API", "600/10m"),
}
RATELIMIT_USE_CACHE = "default"
RATELIMIT_VIEW = "accounts.ratelimits.ratelimited"
# Proxies in front of the app that append to X-Forwarded-For (0: REMOTE_ADDR is the client).
MUSICSYNC_TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0, minimum=0)
RATELIMIT_IP_META_KEY = "accounts.ratelimits.client_ip"

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Music Sync Hub <noreply@localhost>")

# --- Platforms ----------------------------------------------------------------------

SPOTIFY_CLIENT_ID = env_str("SPOTIFY_CLIENT_ID")
SPOTIFY_CLIENT_SECRET = env_str("SPOTIFY_CLIENT_SECRET")
GOOGLE_CLIENT_ID = env_str("GOOGLE_CLIENT_ID")
GOOGLE_CLIENT_SECRET = env_str("GOOGLE_CLIENT_SECRET")
_real_credentials = bool(SPOTIFY_CLIENT_ID or GOOGLE_CLIENT_ID)

# The sandbox stands in for both platforms unless real credentials are configured.
# With DEBUG off it is served only when MUSICSYNC_SANDBOX says so explicitly.
MUSICSYNC_SANDBOX = env_bool("MUSICSYNC_SANDBOX", not _real_credentials and (DEBUG or TESTING))
SANDBOX_URL = env_url("SANDBOX_URL", f"{SITE_URL}/sandbox")
# Where the sandbox keeps its libraries (and the tokens it issued) between restarts, and
# the seed of a fresh one. Tests always start from the seed.
SANDBOX_STATE_FILE = None if TESTING else env_str("SANDBOX_STATE_FILE") or None
SANDBOX_SEED = env_int("SANDBOX_SEED", 0, minimum=0)
if MUSICSYNC_SANDBOX:
    _spotify_accounts, _spotify_api = (
        f"{SANDBOX_URL}/spotify/accounts",
        f"{SANDBOX_URL}/spotify/api/v1",
    )
    _google_oauth, _youtube_api = f"{SANDBOX_URL}/google", f"{SANDBOX_URL}/youtube"
    SPOTIFY_CLIENT_ID = SPOTIFY_CLIENT_ID or "sandbox-spotify-client"
    SPOTIFY_CLIENT_SECRET = SPOTIFY_CLIENT_SECRET or "sandbox-spotify-secret"
    GOOGLE_CLIENT_ID = GOOGLE_CLIENT_ID or "sandbox-google-client.apps.googleusercontent.com"
    GOOGLE_CLIENT_SECRET = GOOGLE_CLIENT_SECRET or "sandbox-google-secret"
else:
    _spotify_accounts, _spotify_api = "https://accounts.spotify.com", "https://api.spotify.com/v1"
    _google_oauth, _youtube_api = "https://accounts.google.com", "https://youtube.googleapis.com"
SPOTIFY_ACCOUNTS_URL = env_url("SPOTIFY_ACCOUNTS_URL", _spotify_accounts)
SPOTIFY_API_URL = env_url("SPOTIFY_API_URL", _spotify_api)
GOOGLE_OAUTH_URL = env_url("GOOGLE_OAUTH_URL", _google_oauth)
YOUTUBE_API_URL = env_url("YOUTUBE_API_URL", _youtube_api)
if MUSICSYNC_SANDBOX:
    _google_token, _google_userinfo = (
        f"{GOOGLE_OAUTH_URL}/token",
        f"{GOOGLE_OAUTH_URL}/oauth2/v2/userinfo",
    )
    _google_revoke, _google_issuer = f"{GOOGLE_OAUTH_URL}/revoke", GOOGLE_OAUTH_URL
else:
    _google_token = "https://oauth2.googleapis.com/token"
    _google_userinfo = "https://www.googleapis.com/oauth2/v2/userinfo"
    _google_revoke, _google_issuer = (
        "https://oauth2.googleapis.com/revoke",
        "https://accounts.google.com",
    )
GOOGLE_TOKEN_URL = env_url("GOOGLE_TOKEN_URL", _google_token)
GOOGLE_USERINFO_URL = env_url("GOOGLE_USERINFO_URL", _google_userinfo)
GOOGLE_REVOKE_URL = env_url("GOOGLE_REVOKE_URL", _google_revoke)
GOOGLE_ID_TOKEN_ISSUER = env_url("GOOGLE_ID_TOKEN_ISSUER", _google_issuer)

SPOTIFY_SCOPES = [
    "playlist-read-private",
    "playlist-read-collaborative",
    "playlist-modify-private",
    "playlist-modify-public",
    "user-library-read",
    "user-library-modify",
]
GOOGLE_SCOPES = ["openid", "email", "profile", "https://www.googleapis.com/auth/youtube"]
# Signing in (not only connecting) with Spotify or Google, where the operator allows it.
MUSICSYNC_SOCIAL_LOGIN = env_bool("MUSICSYNC_SOCIAL_LOGIN", False)
SOCIALACCOUNT_ADAPTER = "platforms.oauth.SocialAccountAdapter"
# Tokens go encrypted into platforms.Connection, never into allauth's plain token table.
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_PROVIDERS = {
    "spotify": {
        "APP": {"client_id": SPOTIFY_CLIENT_ID, "secret": SPOTIFY_CLIENT_SECRET},
        "SCOPE": SPOTIFY_SCOPES,
        "OAUTH_PKCE_ENABLED": True,
    },
    "google": {
        "APP": {"client_id": GOOGLE_CLIENT_ID, "secret": GOOGLE_CLIENT_SECRET},
        "SCOPE": GOOGLE_SCOPES,
        "AUTH_PARAMS": {"access_type": "offline", "prompt": "consent"},
        "OAUTH_PKCE_ENABLED": True,
        "AUTHORIZE_URL": f"{GOOGLE_OAUTH_URL}/o/oauth2/v2/auth",
        "ACCESS_TOKEN_URL": GOOGLE_TOKEN_URL,
        "IDENTITY_URL": GOOGLE_USERINFO_URL,
        "ID_TOKEN_ISSUER": GOOGLE_ID_TOKEN_ISSUER,
    },
}

YOUTUBE_DAILY_QUOTA = env_int("YOUTUBE_DAILY_QUOTA", 10_000, minimum=1)
YOUTUBE_QUOTA_COSTS = {
    "list": env_int("YOUTUBE_COST_LIST", 1, minimum=0),
    "insert": env_int("YOUTUBE_COST_WRITE", 50, minimum=0),
    "update": env_int("YOUTUBE_COST_WRITE", 50, minimum=0),
    "delete": env_int("YOUTUBE_COST_WRITE", 50, minimum=0),
    "rate": env_int("YOUTUBE_COST_WRITE", 50, minimum=0),
    "getRating": env_int("YOUTUBE_COST_LIST", 1, minimum=0),
    "search": env_int("YOUTUBE_COST_SEARCH", 100, minimum=0),
}
PLATFORM_HTTP_TIMEOUT = env_float("PLATFORM_HTTP_TIMEOUT", 20.0, minimum=0.1)
PLATFORM_MAX_ATTEMPTS = env_int("PLATFORM_MAX_ATTEMPTS", 4, minimum=1)
# A Retry-After up to this long is waited out in place; a longer one reschedules the run.
PLATFORM_MAX_INLINE_WAIT = env_float("PLATFORM_MAX_INLINE_WAIT", 10.0, minimum=0)
PLATFORM_RETRY_BASE_SECONDS = env_float("PLATFORM_RETRY_BASE_SECONDS", 0.5, minimum=0)
# Refresh an access token this many seconds before it expires.
TOKEN_REFRESH_MARGIN_SECONDS = env_int("TOKEN_REFRESH_MARGIN_SECONDS", 120, minimum=0)

# --- Encryption ---------------------------------------------------------------------

# Comma-separated Fernet keys, newest first; older keys still decrypt (rotation).
FIELD_ENCRYPTION_KEY = env_list("FIELD_ENCRYPTION_KEY")
if not FIELD_ENCRYPTION_KEY:
    if not DEBUG and not TESTING:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be set when DEBUG is off")
    # A fixed development key, so a demo database survives restarts; never for production.
    FIELD_ENCRYPTION_KEY = ["bXVzaWNzeW5jLWRldmVsb3BtZW50LWtleS0wMDAwMDA="]

# --- REST API -----------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Adds retry_after to every 429 body.
    "EXCEPTION_HANDLER": "accounts.ratelimits.api_exception_handler",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "musicsync.renderers.BrowsableAPIRenderer",
    ],
    # Page-number paging with ?page_size= up to 200.
    "DEFAULT_PAGINATION_CLASS": "musicsync.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Music Sync Hub API",
    "DESCRIPTION": "Keep Spotify and YouTube playlists and liked songs in step.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Separate request bodies, so read-only fields (ids, status, counts) are not offered.
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "status" or "platform": one stable name each in the schema.
    "ENUM_NAME_OVERRIDES": {
        "PlatformEnum": "platforms.models.Platform",
        "RunStatusEnum": "syncing.models.Run.Status",
        "ReviewStatusEnum": "syncing.models.ReviewItem.Status",
        "ConnectionStateEnum": "platforms.models.Connection.State",
    },
}

# --- Static, i18n, security ---------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440, minimum=1024)

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Pages send the CSRF token from the template (hx-headers), so no script needs the cookie.
CSRF_COOKIE_HTTPONLY = True
# Only the app's own scripts (htmx is served from static); no inline script or style,
# except one style attribute of the browsable API's template (DRF's "Filters" button),
# allowed by its hash alone.
_DRF_BUTTON_STYLE = "float: right; margin-right: 10px"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": [
            "'unsafe-hashes'",
            "'sha256-"
            + base64.b64encode(hashlib.sha256(_DRF_BUTTON_STYLE.encode()).digest()).decode()
            + "'",
        ],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if not DEBUG and not TESTING:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^metrics$"]

# --- Observability ------------------------------------------------------------------

SENTRY_DSN = env_url("SENTRY_DSN")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "production")
SENTRY_TRACES_SAMPLE_RATE = env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0, minimum=0.0)
MUSICSYNC_RELEASE = env_str("MUSICSYNC_RELEASE")
LOG_LEVEL = env_choice("LOG_LEVEL", "info", ["debug", "info", "warning", "error"]).upper()
# JSON lines for log collectors; readable text while developing.
LOG_FORMAT = env_choice("LOG_FORMAT", "text" if DEBUG else "json", ["json", "text"])
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "musicsync.observability.ContextFilter"},
        "redact": {"()": "musicsync.observability.RedactFilter"},
    },
    "formatters": {
        "json": {"()": "musicsync.observability.JsonFormatter"},
        "text": {
            "()": "musicsync.observability.TextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "dramatiq": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
        # spotipy logs every refused call (and at debug level its headers, tokens included);
        # platforms.calls reports what matters.
        "spotipy": {"level": "CRITICAL"},
        # runserver's request lines (make run): through our handler, so an OAuth callback's
        # ?code=…&state=… is redacted like every other line.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# /metrics answers these networks, or anyone with `Authorization: Bearer $METRICS_TOKEN`.
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.1/32", "::1/128"])
try:
    METRICS_ALLOWED_NETWORKS = [
        ipaddress.ip_network(net, strict=False) for net in METRICS_ALLOWED_IPS
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS has an entry that is not an IP: {exc}")
METRICS_TOKEN = env_str("METRICS_TOKEN")

if SENTRY_DSN:
    from musicsync.observability import init_sentry

    init_sentry(
        SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        release=MUSICSYNC_RELEASE,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )

# Runs that have not sent a heartbeat for this long are taken to be dead and resumed.
RUN_STALE_AFTER_SECONDS = env_int("RUN_STALE_AFTER_SECONDS", 300, minimum=10)

os.makedirs(VAR_DIR, exist_ok=True)
