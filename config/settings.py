"""Settings, all read from the environment.

The embedded default (nothing set) is a newcomer's machine: SQLite file, local-memory cache and Celery tasks
run eagerly in-process. Production sets ``DATABASE_URL``, ``REDIS_URL`` and ``CELERY_BROKER_URL``. With
``DEBUG`` off the settings are safe by default: a ``SECRET_KEY`` and ``ALLOWED_HOSTS`` must be given, cookies
are secure and HSTS is on.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from pythonjsonlogger.core import RESERVED_ATTRS as JSON_RESERVED_ATTRS

from config.log_context import NOT_LOGGED as LOG_FIELDS_NOT_LOGGED

# Django classes generic in their stubs (ModelAdmin[Model], UserCreationForm[User]) subscriptable at run time too, so
# the apps are typed with `disallow_any_generics` as github_app is.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean environment variable ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated environment variable into a list without empty items."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def development_secret_key(path: Path) -> str:
    """This checkout's own signing key for development, made at random on first use and kept in ``path`` (readable
    by its owner only). Never a constant: with one in the public code anyone could forge a verification link or a
    session for any development server that forgot to set ``SECRET_KEY``."""
    if not path.exists():
        import secrets
        import tempfile

        path.parent.mkdir(parents=True, exist_ok=True)
        fd, written = tempfile.mkstemp(dir=path.parent)  # mode 0600
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(50) + "\n")
        try:
            os.link(written, path)  # whole or not at all; a process of this checkout that made it first wins
        except FileExistsError:
            pass
        finally:
            os.unlink(written)
    return path.read_text().strip()


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (DEBUG=1 for development; see .env.example)."
        )
    SECRET_KEY = development_secret_key(Path(os.environ.get("DEV_SECRET_KEY_FILE") or BASE_DIR / "var" / "secret_key"))

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must be set when DEBUG is off (comma-separated host names; see .env.example)."
    )

BASE_URL = os.environ.get("BASE_URL", "http://localhost:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", BASE_URL)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "axes",
    "apps.users",
    "apps.teams",
    "apps.metrics",
    "apps.integrations",
    "apps.web",
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
    "config.security.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lock-out into the page that explains it
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
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
                "apps.teams.context_processors.teams",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Per connection, for the dashboard's period statements (a year of PRs or reviews aggregated at once):
    # - jit=off: PostgreSQL compiles a statement whose estimated cost passes jit_above_cost, and a year of reviews
    #   of a large team is near it; compiling then costs more than the statement it is meant to speed up.
    # - work_mem=32MB: a percentile sorts every value of its period; at the default 4MB those sorts
    #   spill to disk. A limit per sort, not a reservation: small statements use what they need.
    # - random_page_cost=1.1: the default (4) prices each index page as a disk seek, so for a long period the
    #   planner reads the team's rows from the table (through ``team_id`` or a sequential scan) instead of one range
    #   of the panel's covering index, and a long period's summary and pickup read far more than they need.
    #   1.1 is PostgreSQL's own suggestion for data on SSD or in memory, where tformance's tables are.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", "-c jit=off -c work_mem=32MB -c random_page_cost=1.1"
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves sign-ups, page writes, webhook deliveries and an import on its background thread at
    # once, from one SQLite file (Django 5.1+ options, docs/deployment.md):
    # - transaction_mode IMMEDIATE: a transaction takes the write lock when it begins. In SQLite's default (DEFERRED)
    #   it starts as a reader and asks for the write lock at its first write; when another connection writes
    #   meanwhile SQLite answers "database is locked" at once, without waiting (waiting could deadlock), so ordinary
    #   concurrency turned into 500s.
    # - journal_mode=WAL: readers never wait for the writer, nor the writer for them; synchronous=NORMAL is the
    #   durability SQLite recommends with WAL (a power cut may lose the last commits, never corrupt the file).
    # - timeout: how long a writer waits for the lock (SQLite's busy timeout) before "database is locked": as long as
    #   gunicorn lets a request run (Procfile --timeout 30), since a burst on a busy machine queues many writers and
    #   SQLite's waiting is not first come, first served.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            "timeout": 30,
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# The dashboard's independent panels (summary with the table, pickup, reviewer load, weekly trends, freshness) read
# side by side: one on the request's connection, the others on a per-process pool of this many
# (apps/web/parallel_reads.py; PostgreSQL only; 0: one after another). Each web process may hold this many
# connections besides its threads' own.
PARALLEL_READ_CONNECTIONS = int(os.environ.get("PARALLEL_READ_CONNECTIONS", "3"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "users.User"
LOGIN_URL = "users:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "users:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tformance"}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))  # where collectstatic writes
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# The demo (DEBUG, console backend): an email that only reaches the server log is also shown on the page.
EMAIL_SHOWN_ON_PAGE = DEBUG and EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "tformance <noreply@localhost>")

# Security: safe by default whenever DEBUG is off.
# Behind a proxy that terminates TLS, the request is HTTPS when the proxy's header says "https" (the HTTPS redirect
# and secure cookies rely on it). Only the proxy may set that header: gunicorn trusts it from FORWARDED_ALLOW_IPS.
# An empty SECURE_PROXY_SSL_HEADER turns this off when no proxy is in front.
_proxy_ssl_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto").strip()
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https") if _proxy_ssl_header else None
)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]  # load balancers and Prometheus check over plain HTTP
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


# Content-Security-Policy (django-csp): scripts, styles and everything else from this origin only; no inline script
# or style anywhere (htmx's own indicator style is off, see templates/base.html). config.security.CSPMiddleware adds
# the configured GitHub's origins where pages need them: avatars (img-src) and forms that lead there (form-action).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "https://avatars.githubusercontent.com"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# GitHub sends payloads of up to 25 MiB; the webhook view enforces that limit itself.
WEBHOOK_MAX_BODY_BYTES = 25 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = WEBHOOK_MAX_BODY_BYTES + 1

# Celery: with no broker configured, tasks run eagerly in-process (the embedded default).
CELERY_TASK_ALWAYS_EAGER = not os.environ.get("CELERY_BROKER_URL")
# In-process, nothing is published; the in-memory transport keeps Celery from reaching for a default AMQP broker.
# Its URL names a host: kombu warns "No hostname was supplied" for a bare "memory://" each time it connects.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker started with ``-Q interactive,default,imports`` takes from the first queue that has a message (Redis:
# BRPOP in that order), not round-robin: Import now and recomputes go before imports' pages (see the Procfile).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "queue_order_strategy": "priority"}
CELERY_TIMEZONE = TIME_ZONE
# A broker that is down must not hold the webhook endpoint: fail fast, the sweeper queues the delivery later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.2}
CELERY_TASK_ROUTES = {
    "apps.integrations.tasks.process_delivery": {"queue": "webhooks"},
    "apps.integrations.tasks.process_deliveries": {"queue": "webhooks"},
    "apps.integrations.tasks.drain_deliveries": {"queue": "webhooks"},
    "apps.integrations.tasks.import_repository": {"queue": "imports"},  # Import now's catch-up: "interactive"
    "apps.metrics.tasks.run_team_recompute": {"queue": "interactive"},
    "apps.metrics.tasks.run_member_recompute": {"queue": "interactive"},
}
CELERY_BEAT_SCHEDULE = {
    "sweep-pending-deliveries": {"task": "apps.integrations.tasks.sweep_pending_deliveries", "schedule": 60.0},
    "recover-failed-deliveries": {"task": "apps.integrations.tasks.recover_failed_deliveries", "schedule": 600.0},
    "prune-delivery-payloads": {"task": "apps.integrations.tasks.prune_delivery_payloads", "schedule": 86400.0},
    "create-payload-partitions": {"task": "apps.integrations.tasks.create_payload_partitions", "schedule": 86400.0},
    # At the start of every hour, that hour's 24th of the installations (id % 24): every installation made equal to
    # GitHub's once a day (heals lost or reordered events), one task each, spread over the hour. On the clock, not
    # every 3,600 s from beat's start, so a restarted beat neither skips an hour's slot nor runs one twice.
    "reconcile-installations": {
        "task": "apps.integrations.tasks.reconcile_installations",
        "schedule": crontab(minute=1),
    },
    # Imports waiting for a rate-limit reset, or whose worker died (stale claim), are queued again.
    "resume-imports": {"task": "apps.integrations.tasks.resume_imports", "schedule": 300.0},
}

# Webhook processing.
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "5"))
WEBHOOK_PAYLOAD_RETENTION_DAYS = int(os.environ.get("WEBHOOK_PAYLOAD_RETENTION_DAYS", "30"))
# The audit row of a delivery (who sent what, when, and what became of it) is deleted after this many days (never
# before the payload retention, nor within GitHub's three-day delivery log).
WEBHOOK_DELIVERY_RETENTION_DAYS = int(os.environ.get("WEBHOOK_DELIVERY_RETENTION_DAYS", "90"))
# Each of the daily pruning and expiry stops after this many seconds; the next day's run goes on from there.
WEBHOOK_LIFECYCLE_SECONDS = float(os.environ.get("WEBHOOK_LIFECYCLE_SECONDS", "600"))
WEBHOOK_PENDING_GRACE_SECONDS = 60
# A sweep queues the pending backlog for this long at most, then hands the rest to a follow-up task.
# This hour's reconciliation tasks are spaced over this many seconds (below the broker's visibility timeout).
RECONCILE_SPREAD_SECONDS = float(os.environ.get("RECONCILE_SPREAD_SECONDS", "3000"))
WEBHOOK_SWEEP_SECONDS = float(os.environ.get("WEBHOOK_SWEEP_SECONDS", "30"))
WEBHOOK_REDELIVERIES_PER_RUN = int(os.environ.get("WEBHOOK_REDELIVERIES_PER_RUN", "50"))
# Pages of GitHub's delivery log (100 entries, one App-JWT call each) one redelivery run reads at most.
WEBHOOK_REDELIVERY_PAGES_PER_RUN = int(os.environ.get("WEBHOOK_REDELIVERY_PAGES_PER_RUN", "10"))

# Import (apps.integrations.services.import_run): history imported when a repository becomes tracked.
# IMPORT_HISTORY_DAYS: PRs updated in the last N days; 0 or "all" imports the whole history.
_history_days = os.environ.get("IMPORT_HISTORY_DAYS", "180").strip().lower()
IMPORT_HISTORY_DAYS = 0 if _history_days in {"", "all", "0"} else int(_history_days)
IMPORT_PAGE_SIZE = int(os.environ.get("IMPORT_PAGE_SIZE", "50"))  # PRs per GraphQL page (GitHub allows 100)
IMPORT_MIN_PAGE_SIZE = int(os.environ.get("IMPORT_MIN_PAGE_SIZE", "5"))  # floor when 502s/timeouts halve it
IMPORT_RATE_LIMIT_RESERVE = int(os.environ.get("IMPORT_RATE_LIMIT_RESERVE", "100"))  # GraphQL points kept
# Without a broker, imports and recomputes run on a background thread of the web process (progress is seen live);
# the tests turn it off to run them inside the request, deterministically.
IMPORT_IN_BACKGROUND = True
# Pages one import task writes before queueing its next turn behind other teams' work (see services.queueing).
IMPORT_PAGES_PER_TURN = int(os.environ.get("IMPORT_PAGES_PER_TURN", "1"))
# A queued or running import silent this long is stalled (its process died): Import now is offered again and a new run
# takes its claim over. A run beats at every page (one GraphQL request and its PRs' extra review pages).
IMPORT_LOCK_SECONDS = int(os.environ.get("IMPORT_LOCK_SECONDS", "300"))

# GitHub App. Credentials come from the environment or, for any GITHUB_APP_* variable not set there, from the
# JSON file the manifest registration (/integrations/github/register/) writes (mode 0600; keys = setting names).
# The environment always wins. An empty GITHUB_APP_CREDENTIALS_FILE turns the file off.
GITHUB_APP_CREDENTIALS_FILE = os.environ.get("GITHUB_APP_CREDENTIALS_FILE", str(BASE_DIR / "var" / "github-app.json"))
_app_file = Path(GITHUB_APP_CREDENTIALS_FILE) if GITHUB_APP_CREDENTIALS_FILE else None
_app_file_values = json.loads(_app_file.read_text()) if _app_file and _app_file.is_file() else {}


def github_app_setting(name: str) -> str:
    return os.environ.get(name) or str(_app_file_values.get(name, ""))


GITHUB_APP_ID = github_app_setting("GITHUB_APP_ID")
GITHUB_APP_CLIENT_ID = github_app_setting("GITHUB_APP_CLIENT_ID")
GITHUB_APP_CLIENT_SECRET = github_app_setting("GITHUB_APP_CLIENT_SECRET")
GITHUB_APP_SLUG = github_app_setting("GITHUB_APP_SLUG")
GITHUB_APP_PRIVATE_KEY = github_app_setting("GITHUB_APP_PRIVATE_KEY")
GITHUB_APP_PRIVATE_KEY_PATH = os.environ.get("GITHUB_APP_PRIVATE_KEY_PATH", "")
# Several secrets, comma-separated, allow rotating the webhook secret without dropping deliveries.
GITHUB_APP_WEBHOOK_SECRET = github_app_setting("GITHUB_APP_WEBHOOK_SECRET")
GITHUB_API_URL = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
GITHUB_WEB_URL = os.environ.get("GITHUB_WEB_URL", "https://github.com").rstrip("/")
# The App JWT's issuer: "client_id" or "app_id"; empty = the client id on github.com, the App id on GitHub Enterprise
# Server (the only issuer GHES accepts before 3.14, and accepted by every version).
GITHUB_APP_JWT_ISSUER = os.environ.get("GITHUB_APP_JWT_ISSUER", "").strip()
# The generated manifest's "public": a public App can be installed by any account (a deployment serving several
# organizations); a private one only by the account that owns it.
GITHUB_APP_PUBLIC = os.environ.get("GITHUB_APP_PUBLIC", "true").strip().lower() not in ("0", "false", "no", "off")

# Accounts. Sign-ins are throttled by django-axes, counted in the cache (Redis in production, shared by every web
# process) per (account, client address), per address and per account (apps.users.throttling.LoginThrottleHandler):
# - LOGIN_FAILURE_LIMIT wrong passwords for one account from one address, or LOGIN_FAILURES_PER_CLIENT from one
#   address over all accounts, pause log-in from that address for LOGIN_LOCKOUT_MINUTES;
# - LOGIN_ACCOUNT_BACKOFF_AFTER for one account from anywhere make each further try for it wait 2, 4, 8… seconds
#   (at most LOGIN_BACKOFF_MAX_SECONDS): guessing from many addresses crawls, and the owner is never locked out.
# Failures while paused do not count. A successful log-in clears that account's counts but not the address's, and
# a password reset through the emailed link lifts the account's pause at once.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "apps.users.throttling.LoginThrottleHandler"
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address", "username"]
AXES_RESET_ON_SUCCESS = False  # the handler clears the account's counts only, never the address's
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCK_OUT_AT_FAILURE = False  # axes' one limit over every count does not apply: the handler's is_locked decides
AXES_LOCKOUT_CALLABLE = "apps.users.throttling.login_locked_out_response"
AXES_CLIENT_IP_CALLABLE = "apps.users.throttling.client_ip"
AXES_USERNAME_CALLABLE = "apps.users.throttling.login_account"  # the log-in form's field is "username"
AXES_VERBOSE = False
LOGIN_FAILURES_PER_CLIENT = 4 * AXES_FAILURE_LIMIT
LOGIN_ACCOUNT_BACKOFF_AFTER = 2 * AXES_FAILURE_LIMIT
LOGIN_BACKOFF_MAX_SECONDS = 120
if not REDIS_URL:
    # axes warns that a local-memory cache is per process; the embedded default serves from one process, where it
    # counts correctly. With several processes set REDIS_URL (production does), and the counts are shared.
    SILENCED_SYSTEM_CHECKS = ["axes.W001"]
# Proxies in front that append to X-Forwarded-For (0: the client is REMOTE_ADDR, the header is ignored). Production
# runs behind a TLS proxy (docs/deployment.md), so 1 unless DEBUG; with 0 there, every client would share one count.
# The header counts only on requests from FORWARDED_ALLOW_IPS (the proxies gunicorn trusts, as in the Procfile):
# from anywhere else, such as `make serve` with no proxy in front, the client wrote it and REMOTE_ADDR counts.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0" if DEBUG else "1"))
FORWARDED_ALLOW_IPS = env_list("FORWARDED_ALLOW_IPS", "127.0.0.1")
EMAIL_VERIFICATION_MAX_AGE = timedelta(days=3)  # the emailed link's lifetime
ACCOUNT_EMAILS_PER_ADDRESS = 3  # emails of one kind (verification, reset, invitation…) one inbox receives per hour
ACCOUNT_SIGNUPS_PER_CLIENT = int(os.environ.get("ACCOUNT_SIGNUPS_PER_CLIENT", "5"))  # sign-ups an hour from one address
ACCOUNT_INVITATIONS_PER_TEAM = 20  # invitations a team sends per hour (resends included)
ACCOUNT_INVITATIONS_PER_USER = 20  # invitations one account sends per hour, over all its teams

# Operators' metrics: GET /metrics answers Prometheus scrapes that send "Authorization: Bearer <METRICS_TOKEN>";
# unset, the endpoint does not exist (404). Several processes per host: PROMETHEUS_MULTIPROC_DIR (docs/deployment.md).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "").strip()

# Logs: one line per record on stderr. Lines logged while a delivery or an import is handled carry its context
# (delivery_id, event, action, installation_id, repository; see config.log_context), as do fields passed in
# ``extra={...}``: appended as key=value by default, or JSON lines with LOG_FORMAT=json (python-json-logger).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {
            "()": "config.log_context.KeyValueFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "reserved_attrs": [*JSON_RESERVED_ATTRS, *LOG_FIELDS_NOT_LOGGED],
        },
    },
    "filters": {
        "no_traceback_below_500": {"()": "config.log_filters.NoTracebackBelow500"},
        "bound_context": {"()": "config.log_context.BoundContext"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["no_traceback_below_500", "bound_context"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # Django's own console handler (DEBUG only) would print each request error a second time.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
    },
}
