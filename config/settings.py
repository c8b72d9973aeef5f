"""Atelier settings: one module, every value read from the environment once.

Nothing set gives the embedded default (SQLite, in-memory channel layer, local-memory cache, agent runs
on an in-process thread pool, the offline model). `DATABASE_URL` and `REDIS_URL` scale it out.
Every variable is documented in README.md and docs/deploy.md.
"""

import base64
import hashlib
import os
import sys
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

TESTING = "pytest" in sys.modules or env.bool("ATELIER_TESTING", default=False)
# Off unless set: `make run` sets DEBUG=true for development; the test suite runs as development too.
DEBUG = env.bool("DEBUG", default=TESTING)

_DEV_SECRET_KEY = "django-insecure-atelier-development-key-do-not-use-in-production"
# Keys that are published (Django's insecure prefix, the placeholder in compose.yaml): never in production.
_PUBLIC_SECRET_KEY_PREFIXES = ("django-insecure-", "change-me")
SECRET_KEY = env.str("SECRET_KEY", default="")
# A server with DEBUG off refuses to start on such a key (config.safety); management commands such as
# `makemigrations` still run on a checkout with nothing set.
SECRET_KEY_IS_PUBLIC = not SECRET_KEY or SECRET_KEY.startswith(_PUBLIC_SECRET_KEY_PREFIXES)
if not SECRET_KEY:
    SECRET_KEY = _DEV_SECRET_KEY

# Where runtime data lives (SQLite file, uploads, published previews): never inside the code tree's
# packages, and ignored by git.
DATA_DIR = Path(env.str("ATELIER_DATA_DIR", default=str(BASE_DIR / "var")))

PREVIEW_DOMAIN = env.str("ATELIER_PREVIEW_DOMAIN", default="preview.localhost").strip(".").lower()
PREVIEW_SCHEME = env.str("ATELIER_PREVIEW_SCHEME", default="http" if DEBUG else "https")
# Port to put in preview URLs; empty means "the port of the request that asked for the deployment".
PREVIEW_PORT = env.str("ATELIER_PREVIEW_PORT", default="")
PREVIEW_ROOT = Path(env.str("ATELIER_PREVIEW_ROOT", default=str(DATA_DIR / "previews")))
PREVIEW_TTL_DAYS = env.int("ATELIER_PREVIEW_TTL_DAYS", default=7)
AUTO_DEPLOY_PREVIEW = env.bool("ATELIER_AUTO_DEPLOY_PREVIEW", default=True)
# Framework apps (issue #22): the `build` preview backend runs `npm ci` and `vite build` under bubblewrap.
# Each tool is a name looked up on PATH or an absolute path; when one is missing the react-vite template
# is not offered, and Settings and /healthz say why (previews/toolchain.py).
NODE_BINARY = env.str("ATELIER_NODE_BINARY", default="node")
NPM_BINARY = env.str("ATELIER_NPM_BINARY", default="npm")
BWRAP_BINARY = env.str("ATELIER_BWRAP_BINARY", default="bwrap")
# npm's download cache, shared by every build: a second build of the same lockfile needs no network.
NPM_CACHE_DIR = Path(env.str("ATELIER_NPM_CACHE_DIR", default=str(DATA_DIR / "npm-cache")))
NPM_REGISTRY = env.str("ATELIER_NPM_REGISTRY", default="https://registry.npmjs.org/")
# Packages a generated app may depend on (besides the template's own): charting, dates, icons, state.
NPM_ALLOWED_PACKAGES = env.list(
    "ATELIER_NPM_ALLOWED_PACKAGES",
    default=[
        "recharts",
        "chart.js",
        "react-chartjs-2",
        "date-fns",
        "dayjs",
        "lucide-react",
        "zustand",
        "jotai",
        "immer",
        "clsx",
        "nanoid",
        "react-router-dom",
        "@tanstack/react-table",
        "canvas-confetti",
        "@types/canvas-confetti",
    ],
)
# Limits of one sandboxed build (install + build): wall clock, CPU time per process, memory (data
# segment per process), output size.
BUILD_TIMEOUT_SECONDS = env.int("ATELIER_BUILD_TIMEOUT_SECONDS", default=300)
BUILD_CPU_SECONDS = env.int("ATELIER_BUILD_CPU_SECONDS", default=240)
BUILD_MEMORY_MB = env.int("ATELIER_BUILD_MEMORY_MB", default=1536)
BUILD_MAX_OUTPUT_MB = env.int("ATELIER_BUILD_MAX_OUTPUT_MB", default=50)
# Build failures fed back to the model before the app is left "complete with problems".
BUILD_FIX_ROUNDS = env.int("ATELIER_BUILD_FIX_ROUNDS", default=2)
# The origin users open Atelier on (e.g. https://atelier.example.com; several may be comma-separated): the
# only site allowed to frame previews. Empty: derived from ALLOWED_HOSTS and PREVIEW_SCHEME.
PUBLIC_ORIGIN = env.str("ATELIER_PUBLIC_ORIGIN", default="")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
if TESTING:
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
# Preview hosts (<deployment-id>.<PREVIEW_DOMAIN>) are served by previews.middleware.
ALLOWED_HOSTS = [*ALLOWED_HOSTS, f".{PREVIEW_DOMAIN}"]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "axes",
    "drf_spectacular",
    # Swagger UI and Redoc from this server (/api/docs/, /api/redoc/), never a CDN: works offline.
    "drf_spectacular_sidecar",
    "channels",
    "accounts",
    "modelconfig",
    # agents before django_tasks_db: its db_worker command adds the lease sweep.
    "agents",
    "previews",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    # First, so preview hosts get the HTTPS redirect and HSTS of production too.
    "django.middleware.security.SecurityMiddleware",
    # Before everything else: requests for preview hosts never reach sessions, CSRF, auth or any Django URL
    # (nor the main origin's CSP: previews send their own).
    "previews.middleware.PreviewOriginMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.errors.JsonErrorMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into accounts.lockout's response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

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

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}")}
# PostgreSQL: a pool per process, which runs give their connection back to while they wait on their model
# (config/database.py), so connections scale with the work being done, not with the runs a worker holds.
DB_POOL_SIZE = env.int("ATELIER_DB_POOL_SIZE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Agent runs write from worker threads while requests read: WAL and IMMEDIATE transactions keep
    # SQLite from failing with "database is locked" under that concurrency.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    if TESTING:
        # A file, not memory: tests start db_worker and daphne processes that must share it.
        DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-db-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if TESTING:
        # Persistent connections from runner threads would keep the test database busy at teardown.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
    if DB_POOL_SIZE:
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 1, "max_size": DB_POOL_SIZE}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    from redis.asyncio.retry import Retry as AsyncRetry
    from redis.backoff import ExponentialBackoff, NoBackoff
    from redis.retry import Retry

    # The cache holds rate limits, WebSocket tickets and the per-agent seq counters that every emit() uses.
    # Without a retry a Redis restart fails the next emit() of every run at once; this one reconnects with
    # backoff for about 5 s in all (0.1, 0.2, 0.4, then 0.5 s apart), and a hung server fails a call after 5 s.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "retry": Retry(ExponentialBackoff(cap=0.5, base=0.05), 12),
                "socket_connect_timeout": 2,
                "socket_timeout": 5,
                "health_check_interval": 30,
            },
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        # channels-redis waits for a socket's next message with a 5 s BZPOPMIN; redis-py 8's default
                        # socket_timeout is also 5 s, so the read timed out first and an idle socket was closed (1011)
                        # every 5 s. The read timeout must outlast the BZPOPMIN, with slack.
                        "socket_timeout": 15,
                        "socket_connect_timeout": 5,
                        # After a Redis restart the pool still holds connections to the old server: retry a command
                        # once on a fresh connection instead of failing (and closing) the next socket that uses one.
                        # Immediate and once only, so a socket whose server is really down still closes and its
                        # client reconnects with ?after (its group membership went with the old server).
                        "retry": AsyncRetry(NoBackoff(), 1),
                    }
                ],
                # A slow socket may fall behind by this many frames before the layer drops for it;
                # replay by seq covers what is dropped.
                "capacity": env.int("ATELIER_CHANNEL_CAPACITY", default=1000),
                "expiry": 60,
                # Longer than daphne's --websocket_timeout (default 86400 s).
                "group_expiry": 86400 * 2,
            },
        }
    }
    # `pubsub`: channels-redis's pub/sub layer, one PUBLISH per group message that each process receives once
    # and fans out to its own sockets (the default `core` layer takes one Redis round trip per message per
    # member). It has no capacity: a socket that falls behind is caught up from `prevDurableSeq` holes, as
    # with any loss (docs/architecture.md §6). Measured in bench/README.md; opt-in until it has run longer.
    CHANNEL_LAYER = env.str("ATELIER_CHANNEL_LAYER", default="core")
    if CHANNEL_LAYER == "pubsub":
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_connect_timeout": 5}]},
            }
        }
    elif CHANNEL_LAYER != "core":
        raise ImproperlyConfigured(f"ATELIER_CHANNEL_LAYER must be core or pubsub, not {CHANNEL_LAYER!r}")
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "atelier",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
    # Channels' in-memory layer, made cheaper per message and told to say when it drops (agents/layers.py).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "agents.layers.EventsInMemoryChannelLayer",
            "CONFIG": {"capacity": env.int("ATELIER_CHANNEL_CAPACITY", default=1000)},
        }
    }

# django-ratelimit needs a cache shared by all processes; the local-memory cache is only right for
# the single-process embedded default and tests.
if not REDIS_URL:
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
RATELIMIT_VIEW = "config.errors.ratelimited"

TASKS_BACKEND = env.str("ATELIER_TASKS_BACKEND", default="thread")
if TASKS_BACKEND == "thread":
    TASKS = {
        "default": {
            "BACKEND": "agents.taskbackend.ThreadPoolBackend",
            "OPTIONS": {"max_workers": env.int("ATELIER_RUNNER_THREADS", default=4)},
        }
    }
elif TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif TASKS_BACKEND == "celery":
    TASKS = {"default": {"BACKEND": "agents.celerybackend.CeleryBackend"}}
elif TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    raise ImproperlyConfigured("ATELIER_TASKS_BACKEND must be 'thread', 'database', 'celery' or 'immediate'.")

# Single writer per agent: a run holds a lease on the agent row, renewed while it works.
AGENT_LEASE_SECONDS = env.int("ATELIER_AGENT_LEASE_SECONDS", default=30)
AGENT_SWEEP_INTERVAL = env.float("ATELIER_AGENT_SWEEP_INTERVAL", default=10.0)

# Celery workers (`ATELIER_TASKS_BACKEND=celery`, config/celery.py): runs on a thread pool, at most
# WORKER_MAX_RUNS at once per worker process, each taking no message it has no thread for.
WORKER_MAX_RUNS = env.int("ATELIER_WORKER_MAX_RUNS", default=100)
CELERY_BROKER_URL = env.str("ATELIER_CELERY_BROKER_URL", default=REDIS_URL)
if TASKS_BACKEND == "celery" and not CELERY_BROKER_URL:
    raise ImproperlyConfigured("ATELIER_TASKS_BACKEND=celery needs REDIS_URL (or ATELIER_CELERY_BROKER_URL).")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # An unacked message comes back once a dead worker's lease has surely expired and the sweep had its turn;
    # a live run's second delivery finds the lease held and ends at once (agents.celerybackend).
    "visibility_timeout": AGENT_LEASE_SECONDS + int(AGENT_SWEEP_INTERVAL) + 1,
    "unacked_restore_interval": max(1, int(AGENT_SWEEP_INTERVAL)),
    "unacked_restore_throttle": 1,
}
CELERY_TASK_DEFAULT_QUEUE = "atelier"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_POOL = "threads"
CELERY_WORKER_CONCURRENCY = WORKER_MAX_RUNS
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
AGENT_MAX_PHASES = env.int("ATELIER_AGENT_MAX_PHASES", default=10)
AGENT_PHASES_PER_REQUEST = env.int("ATELIER_AGENT_PHASES_PER_REQUEST", default=3)
# Retries inside a run (agents.lifecycle): attempts per failure that makes no progress, exponential backoff
# from the base (with jitter, at least the provider's Retry-After) up to the longest wait.
GENERATION_MAX_ATTEMPTS = env.int("ATELIER_GENERATION_MAX_ATTEMPTS", default=4)
GENERATION_RETRY_BASE_SECONDS = env.float("ATELIER_GENERATION_RETRY_BASE_SECONDS", default=0.01 if TESTING else 2.0)
GENERATION_RETRY_MAX_SECONDS = env.float("ATELIER_GENERATION_RETRY_MAX_SECONDS", default=60.0)
# Crash accounting in the sweep: a run wanted but not started after the grace period is enqueued again; an
# agent whose runs died this many times in a row is failed instead of resumed.
AGENT_RUN_START_GRACE_SECONDS = env.float("ATELIER_AGENT_RUN_START_GRACE_SECONDS", default=60.0)
AGENT_MAX_CRASHES = env.int("ATELIER_AGENT_MAX_CRASHES", default=3)
# The circuit breaker: model calls one agent may make in any hour, whatever the cause.
PROVIDER_CALLS_PER_HOUR = env.int("ATELIER_PROVIDER_CALLS_PER_HOUR", default=400)

# The self-check (agents/selfchecks.py, issue #20): after each phase the worker opens the deployed preview in
# headless Chromium and feeds what breaks into at most SELF_CHECK_MAX_FIX_ROUNDS fix rounds. The worker
# serves the preview origin to that browser itself (from the published deployment, through the previews
# middleware), so it needs no route to a web process. Off in tests unless a test turns it on.
SELF_CHECK = env.bool("ATELIER_SELF_CHECK", default=not TESTING)
SELF_CHECK_CHROMIUM = env.str("ATELIER_SELF_CHECK_CHROMIUM", default="/usr/bin/chromium")
SELF_CHECK_TIMEOUT = env.float("ATELIER_SELF_CHECK_TIMEOUT", default=20.0)
SELF_CHECK_MAX_FIX_ROUNDS = env.int("ATELIER_SELF_CHECK_MAX_FIX_ROUNDS", default=2)

# The event stream: no WebSocket frame is larger than this (daphne closes a socket on one over 1 MiB).
MAX_FRAME_BYTES = env.int("ATELIER_MAX_FRAME_BYTES", default=256 * 1024)
# What a model may write (agents/limits.py): past any of these the run stops, says which, keeps what was saved.
OUTPUT_MAX_FILES_PER_PHASE = env.int("ATELIER_MAX_FILES_PER_PHASE", default=100)
OUTPUT_MAX_FILES_PER_APP = env.int("ATELIER_MAX_FILES_PER_APP", default=500)
OUTPUT_MAX_FILE_BYTES = env.int("ATELIER_MAX_FILE_BYTES", default=1024 * 1024)
OUTPUT_MAX_APP_BYTES = env.int("ATELIER_MAX_APP_BYTES", default=20 * 1024 * 1024)
OUTPUT_MAX_PATH_SEGMENT_BYTES = env.int("ATELIER_MAX_PATH_SEGMENT_BYTES", default=100)

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
OPEN_SIGNUP = env.bool("ATELIER_OPEN_SIGNUP", default=True)

# --- Sign-in limits and client addresses (issue #17) ---------------------------------------------------
# Reverse proxies in front of the web processes that append to X-Forwarded-For (0: clients connect
# directly). Every per-IP limit and the login lockout use config.clientip.client_ip.
TRUSTED_PROXY_COUNT = env.int("ATELIER_TRUSTED_PROXY_COUNT", default=0)
RATELIMIT_IP_META_KEY = "config.clientip.client_ip"
# django-axes: the first backend refuses a locked-out sign-in on every path that checks a password.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.backends.UsernameBackend"]
LOGIN_FAILURE_LIMIT = env.int("ATELIER_LOGIN_FAILURE_LIMIT", default=5)
LOGIN_COOLOFF_SECONDS = env.int("ATELIER_LOGIN_COOLOFF_SECONDS", default=900)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(seconds=LOGIN_COOLOFF_SECONDS)
# Per account and address: guessing one account from one address stops, and nobody can lock a user out
# from elsewhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True
AXES_CLIENT_IP_CALLABLE = "config.clientip.client_ip"
AXES_USERNAME_CALLABLE = "accounts.usernames.axes_username"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_VERBOSE = False
# --- end of sign-in limits ------------------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Not the manifest storage: without a `collectstatic` first, that one fails every page with
    # "Missing staticfiles manifest entry". WhiteNoise serves the app directories itself (finders), so pages
    # work however the server was started; `collectstatic` stays optional (it adds compressed copies).
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

# Uploads: images are at most 10 MiB each, two per request.
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 11 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes "not signed in" a 401, not a 403.
        "rest_framework.authentication.TokenAuthentication",
        # VibeSDK's clients: `Bearer <access token or API token>` (accounts/authentication.py).
        "accounts.authentication.BearerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "config.renderers.EnvelopeJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "config.pagination.EnvelopePagination",
    "PAGE_SIZE": 20,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Atelier API",
    "DESCRIPTION": "Describe an app; Atelier plans it, writes it file by file and deploys a live preview.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Rate limits (django-ratelimit rate strings).
# Counts only apps built on the server's own key: the offline model and users' own keys are exempt.
CODEGEN_RATE = env.str("ATELIER_CODEGEN_RATE", default="100/d")
LLM_RATE = env.str("ATELIER_LLM_RATE", default="200/d")
TOKEN_RATE = env.str("ATELIER_TOKEN_RATE", default="10/m")
SIGNUP_RATE = env.str("ATELIER_SIGNUP_RATE", default="20/h")
API_KEY_EXCHANGE_RATE = env.str("ATELIER_API_KEY_EXCHANGE_RATE", default="30/m")
DEPLOY_RATE = env.str("ATELIER_DEPLOY_RATE", default="60/h")
IMAGE_RATE = env.str("ATELIER_IMAGE_RATE", default="60/h")
WS_TICKET_SECONDS = 60

# Models and providers. A user's own keys win over these server-wide defaults.
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="")
ANTHROPIC_API_KEY = env.str("ANTHROPIC_API_KEY", default="")
# Only for Anthropic-compatible gateways; empty means Anthropic's own API.
ANTHROPIC_BASE_URL = env.str("ANTHROPIC_BASE_URL", default="")
OPENAI_MODEL = env.str("ATELIER_OPENAI_MODEL", default="gpt-4.1-mini")
ANTHROPIC_MODEL = env.str("ATELIER_ANTHROPIC_MODEL", default="claude-sonnet-4-5")
OFFLINE_CHUNK_DELAY = env.float("ATELIER_OFFLINE_CHUNK_DELAY", default=0.0 if TESTING else 0.004)
LLM_TIMEOUT = env.float("ATELIER_LLM_TIMEOUT", default=120.0)
LLM_MAX_RETRIES = env.int("ATELIER_LLM_MAX_RETRIES", default=2)
# Users' provider URLs on private addresses (a single-user install with a local Ollama): off in every mode.
# The server's own OPENAI_BASE_URL / ANTHROPIC_BASE_URL may always point anywhere.
ALLOW_PRIVATE_PROVIDER_URLS = env.bool("ATELIER_ALLOW_PRIVATE_PROVIDER_URLS", default=False)
_fernet_key = env.str("ATELIER_FERNET_KEY", default="")
if not _fernet_key:
    # Derived so the embedded default needs no setup; production should set its own (see check).
    _fernet_key = base64.urlsafe_b64encode(hashlib.sha256(f"atelier-fernet:{SECRET_KEY}".encode()).digest()).decode()
    FERNET_KEY_DERIVED = True
else:
    FERNET_KEY_DERIVED = False
FERNET_KEY = _fernet_key

# Production safety: on by default whenever DEBUG is off (Atelier is then expected behind TLS).
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
# The main origin's Content-Security-Policy (django-csp): scripts and styles from this origin's files only
# (no inline code anywhere in the templates), previews framed from their own origins, nothing else loaded.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Thumbnails of images about to be sent are blob: URLs.
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        # 'self' covers the agent socket (ws:/wss: on this host) in CSP Level 3 browsers.
        "connect-src": ["'self'"],
        "frame-src": [f"{PREVIEW_SCHEME}://*.{PREVIEW_DOMAIN}:*"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
}

# Host-only cookies: a preview origin (a subdomain) never sees the session or CSRF token.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # The SDKs log request options (headers included) at DEBUG: keep them quieter than that.
        "openai": {"level": "INFO"},
        "anthropic": {"level": "INFO"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        "httpx2": {"level": "WARNING"},
        "httpcore2": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
