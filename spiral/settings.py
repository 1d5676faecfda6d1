"""Spiral's one settings module, configured from the environment.

Variables: SPIRAL_ENV (development|production), SECRET_KEY, DEBUG, ALLOWED_HOSTS, DATABASE_URL,
SPIRAL_DATA_DIR (default ./var), DATABASE_REPLICA_URLS, DATABASE_POOL_MAX, CACHE_URL or REDIS_URL (optional
shared cache), MEDIA_STORAGE (filesystem|s3), SPIRAL_TASKS (immediate|database),
SPIRAL_DEMO (set by `spiral demo`: allows the fixed demo sign-ins, and DEBUG is off unless set),
SPIRAL_SESSION_MAX_AGE and SPIRAL_SESSION_IDLE (seconds), SPIRAL_BEHIND_PROXY, SECURE_HSTS_SECONDS,
CSRF_TRUSTED_ORIGINS, SPIRAL_NHS_FONT (load the NHS font from assets.nhs.uk).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE, NONE, SELF

from spiral.core.env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
SPIRAL_ENV = env_choice("SPIRAL_ENV", ("development", "production"), "development")
PRODUCTION = SPIRAL_ENV == "production"
DATA_DIR = Path(env_str("SPIRAL_DATA_DIR", str(Path.cwd() / "var"))).resolve()

if PRODUCTION:
    SECRET_KEY = env_str("SECRET_KEY", required=True)
    DEBUG = env_bool("DEBUG", False)
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "ALLOWED_HOSTS is not set. In production list the host names Spiral answers to, "
            "for example: export ALLOWED_HOSTS=spiral.example.nhs.uk"
        )
else:
    # Development only: a fixed key is fine on a laptop and never used in production (above).
    SECRET_KEY = env_str("SECRET_KEY", "development-only-secret-key-not-for-production-use-0123456789")
    # The demo shows Spiral to people: it answers as a deployment does, with Spiral's own error pages,
    # never Django's debug page listing every address (DEBUG=1 still turns that on). Static files are
    # served by WhiteNoise from the source folders either way (WHITENOISE_USE_FINDERS below).
    DEBUG = env_bool("DEBUG", not env_bool("SPIRAL_DEMO", False))
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])

DEMO_MODE = env_bool("SPIRAL_DEMO", False) and not PRODUCTION

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "spiral.core",
    "spiral.organisations",
    "spiral.measurement",
    "spiral.voice",
    "spiral.benchmarking",
    "spiral.projects",
    "spiral.knowledge",
    "spiral.priorities",
    "spiral.assessments",
    "spiral.capability",
    "spiral.sustainability",
    "spiral.reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "spiral.core.middleware.RejectNullCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "spiral.core.db.ReplicaMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "spiral.core.middleware.SessionTimeoutMiddleware",
    "spiral.core.middleware.LoginRequiredMiddleware",
    "spiral.core.middleware.NoStoreMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "spiral.urls"
WSGI_APPLICATION = "spiral.wsgi.application"

TEMPLATES = [
    {
        # Our pages: Jinja2 with the NHS.UK components. The loader is set in spiral.templating,
        # which lists every app's jinja2/ folder (APP_DIRS no longer applies once a loader is given).
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "spiral.templating.environment"},
    },
    {
        # Django's admin keeps its own templates.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    },
]

# Database: SQLite file in the data directory by default (WAL mode, immediate transactions so that
# concurrent writers queue instead of failing), PostgreSQL when DATABASE_URL points to one.
DEFAULT_SQLITE = f"sqlite:///{DATA_DIR / 'spiral.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", DEFAULT_SQLITE), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": env_str("SPIRAL_TEST_SQLITE", "") or None}
# Read replicas (optional, PostgreSQL): streaming replicas of DATABASE_URL, comma-separated. The router
# (spiral.core.db) sends only the reads of pages marked for it there, never a person's own fresh write.
for _number, _url in enumerate(env_list("DATABASE_REPLICA_URLS"), start=1):
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URLS is set but DATABASE_URL is SQLite: replicas are for PostgreSQL. "
            "Set DATABASE_URL=postgres://... (the primary) or unset DATABASE_REPLICA_URLS."
        )
    DATABASES[f"replica_{_number}"] = dj_database_url.parse(_url, conn_max_age=60)
    DATABASES[f"replica_{_number}"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["spiral.core.db.ReplicaRouter"]
SPIRAL_REPLICA_STICKY_SECONDS = env_int("SPIRAL_REPLICA_STICKY_SECONDS", 30)
# Connection pooling (PostgreSQL): DATABASE_POOL_MAX connections per web or worker process through
# psycopg's pool; 0 (the default) keeps Django's persistent connections. Or put PgBouncer (transaction
# pooling) in front of the database and leave this at 0 (docs/deploy.md).
DATABASE_POOL_MAX = env_int("DATABASE_POOL_MAX", 0)
if DATABASE_POOL_MAX > 0:
    for _database in DATABASES.values():
        if _database["ENGINE"] == "django.db.backends.postgresql":
            _database["CONN_MAX_AGE"] = 0  # the pool keeps the connections
            _database.setdefault("OPTIONS", {})["pool"] = {
                "min_size": 1,
                "max_size": DATABASE_POOL_MAX,
                "timeout": 10,
            }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "organisations.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/sign-in/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/sign-in/"

# Sign-in throttling (django-axes): lock a user name from one address after 5 failures for 15 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=max(1, env_int("AXES_COOLOFF_MINUTES", 15)))
# Our own answer: says what to do and when the lock lifts, 429 with Retry-After (spiral.core.ratelimits).
AXES_LOCKOUT_CALLABLE = "spiral.core.ratelimits.locked_out"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The sign-in form's field is `username` (Django's AuthenticationForm), not the model's `email`: without
# this axes reads no user name at all, and the lock-out neither holds for the person nor spares others.
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# A shared cache (rate limits, lock-outs, cached roll-ups): the database by default, Redis at scale
# (CACHE_URL or REDIS_URL: redis://host:6379/0).
REDIS_URL = env_str("CACHE_URL", "") or env_str("REDIS_URL", "")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"CACHE_URL/REDIS_URL must be a Redis address such as redis://127.0.0.1:6379/0, not {REDIS_URL!r}."
    )
# Kept pages (spiral.core.pagecache) have a cache of their own, so that they never push rate-limit
# counters or lock-outs out of the default one.
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL},
        "pages": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "pages",
        },
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "spiral_cache"},
        "pages": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "spiral_page_cache",
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        },
    }

if env_str("SPIRAL_CACHE", "") == "dummy":  # bench/load.py's baseline: the same pages with the cache off
    CACHES = {alias: {"BACKEND": "django.core.cache.backends.dummy.DummyCache"} for alias in CACHES}
# An observations file larger than this (bytes) is imported as background work with a progress page.
SPIRAL_IMPORT_BACKGROUND_BYTES = env_int("SPIRAL_IMPORT_BACKGROUND_BYTES", 2 * 1024 * 1024)
# An API request with more observations than this is checked and written as background work (202).
SPIRAL_API_BACKGROUND_ROWS = env_int("SPIRAL_API_BACKGROUND_ROWS", 2000)
# How long a kept page may be shown (seconds; 0 turns kept pages off). A write ends it at once anyway.
SPIRAL_PAGE_CACHE_SECONDS = env_int("SPIRAL_PAGE_CACHE_SECONDS", 60)
# How long a funnel plot is kept (seconds; 0 turns it off). A write to observations, series, measures or
# units ends it at once anyway; an import computes its indicators' default funnels ahead of the first reader.
SPIRAL_FUNNEL_CACHE_SECONDS = env_int("SPIRAL_FUNNEL_CACHE_SECONDS", 24 * 3600)

# The fewest people whose survey answers are shown (culture, readiness, NHS IMPACT): below it a page, an
# export and the API say only that too few answered, so no answer can be traced to a person.
SPIRAL_SURVEY_MIN_RESPONSES = env_int("SPIRAL_SURVEY_MIN_RESPONSES", 5)

# Background work: run immediately in-process by default; `spiral worker` with SPIRAL_TASKS=database.
# The queues (`spiral worker --queue NAME`): imports, analyses (SPC recomputation), search (indexing).
SPIRAL_QUEUES = ("default", "imports", "analyses", "search")
if env_choice("SPIRAL_TASKS", ("immediate", "database"), "immediate") == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": list(SPIRAL_QUEUES)}}
else:
    TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": list(SPIRAL_QUEUES),
        }
    }

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# The NHS.UK CSS asks for its icons at /assets/images/...: WhiteNoise serves this folder at the root.
WHITENOISE_ROOT = BASE_DIR / "static" / "vendor" / "root"
# Outside production, serve straight from the source folders (no collectstatic needed).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = DATA_DIR / "media"
# Uploaded files: the file system under SPIRAL_DATA_DIR by default; MEDIA_STORAGE=s3 for S3-compatible
# object storage (django-storages; AWS_STORAGE_BUCKET_NAME, and AWS_S3_ENDPOINT_URL for MinIO or another
# provider; credentials as boto3 reads them: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).
MEDIA_STORAGE = env_choice("MEDIA_STORAGE", ("filesystem", "s3"), "filesystem")
if MEDIA_STORAGE == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME", required=True),
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("AWS_S3_REGION_NAME", "") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# The NHS font (Frutiger) is served by assets.nhs.uk, another origin: by default no page asks for it, so
# nothing leaves the site's origin and a self-hosted, offline or locked-down deployment does not wait for a
# host it cannot reach (text is set in the fallback stack: a local Frutiger, else Arial, else sans-serif).
# SPIRAL_NHS_FONT=1 links the font's stylesheet (vendor/nhsuk/nhsuk-fonts.css, split out by `make assets`)
# and lets the CSP load fonts from that host.
NHS_FONT = env_bool("SPIRAL_NHS_FONT", False)
NHS_FONT_ORIGIN = "https://assets.nhs.uk"

# Security headers.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        # No inline styles either: SVG charts use presentation attributes, which CSP does not govern,
        # and the NHS.UK script sets styles through the CSSOM (element.style), which it allows too.
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, NHS_FONT_ORIGIN] if NHS_FONT else [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# A session lasts at most SPIRAL_SESSION_MAX_AGE seconds from signing in (8 hours: a working day), and
# ends after SPIRAL_SESSION_IDLE seconds without a request (30 minutes); see SessionTimeoutMiddleware.
SESSION_COOKIE_AGE = env_int("SPIRAL_SESSION_MAX_AGE", 8 * 3600)
SESSION_IDLE_TIMEOUT = env_int("SPIRAL_SESSION_IDLE", 30 * 60)
if not 60 <= SESSION_IDLE_TIMEOUT <= SESSION_COOKIE_AGE:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"SPIRAL_SESSION_IDLE={SESSION_IDLE_TIMEOUT} must be at least 60 seconds and no more than "
        f"SPIRAL_SESSION_MAX_AGE={SESSION_COOKIE_AGE}: both are in seconds, e.g. SPIRAL_SESSION_IDLE=1800."
    )
CSRF_FAILURE_VIEW = "spiral.core.views.csrf_failure"
# Behind a load balancer every request comes from the balancer's address: rate limits and sign-in
# lock-outs must count the client's, which the one trusted proxy appends last to X-Forwarded-For.
SPIRAL_BEHIND_PROXY = env_bool("SPIRAL_BEHIND_PROXY", False)
RATELIMIT_IP_META_KEY = "spiral.core.ratelimits.client_ip"
if SPIRAL_BEHIND_PROXY:
    AXES_IPWARE_PROXY_COUNT = 1
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if SPIRAL_BEHIND_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 1000
NINJA_PAGINATION_CLASS = "spiral.core.api.Pagination"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
