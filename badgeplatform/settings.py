"""Badge Platform settings: one module, driven by environment variables.

Unset variables give the *embedded default* used by ``make run``: SQLite under ``var/``, Celery on
kombu's filesystem transport (no broker server), email to the console and to files under
``var/mail``, media on the local disk. Setting ``DATABASE_URL`` and ``REDIS_URL`` switches to
PostgreSQL and Redis. Unsafe production values fail at start-up (see ``_refuse_unsafe``).
"""

from __future__ import annotations

import ipaddress
import os
import re
import sys
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from badgeplatform.deployment import local_deployment_problems
from badgeplatform.env import env_bool, env_int, env_list, env_origin, env_str, env_url
from badgeplatform.logs import logging_config
from obapi import scopes as obapi_scopes

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

TESTING = "pytest" in sys.modules or env_bool("TESTING")

# --- Core -----------------------------------------------------------------------------------
DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", default=True)
# With DEBUG off, a loopback PUBLIC_BASE_URL, SQLite, the filesystem broker and console/file email are
# refused (see _refuse_local_deployment below) unless a test or trial run says so explicitly.
ALLOW_LOCAL_DEPLOYMENT = env_bool("ALLOW_LOCAL_DEPLOYMENT", default=False)
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"
PUBLIC_BASE_URL = env_origin("PUBLIC_BASE_URL", DEFAULT_PUBLIC_BASE_URL)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [PUBLIC_BASE_URL])

# Keys that encrypt issuers' private signing keys at rest. The first one encrypts; all of them
# decrypt, so a new key can be put in front and the old one removed after `rotate_encryption_key`.
DEV_KEY_ENCRYPTION_KEY = "ZGV2LW9ubHkta2V5LWVuY3J5cHRpb24ta2V5LTMyYnk="  # noqa: S105
KEY_ENCRYPTION_KEYS = env_list("KEY_ENCRYPTION_KEYS", [DEV_KEY_ENCRYPTION_KEY])


def _refuse_unsafe() -> None:
    if DEBUG:
        return
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured("DEBUG is off: set SECRET_KEY to a random value of 32+ characters.")
    if DEV_KEY_ENCRYPTION_KEY in KEY_ENCRYPTION_KEYS:
        raise ImproperlyConfigured("DEBUG is off: set KEY_ENCRYPTION_KEYS (Fernet keys) instead of the dev key.")
    if not env_str("ALLOWED_HOSTS"):
        raise ImproperlyConfigured("DEBUG is off: set ALLOWED_HOSTS to the site's host names.")


_refuse_unsafe()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "accounts",
    "issuers",
    "badges",
    "assertions",
    "verification",
    "credentials",
    "pathways",
    "endorsements",
    "webhooks",
    "lti",
    "sso",
    "insights",
    "backpack",
    "oauth2_provider",
    "obapi",
    "wallets",
    "console",
]

MIDDLEWARE = [
    # (Ready public documents are answered before this stack runs, by the WSGI layer in front of Django:
    # verification.lean, badgeplatform.wsgi. Its answers carry the headers this stack would add and are
    # not in the request metrics: a CDN's or proxy's log has them.)
    # First: times and counts every other answer and writes its log line, with the request's id.
    "badgeplatform.observability.RequestObservationMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (the policy is under "Security" below).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Resolves the tenant (URL slug or API key) and activates the tenant scope for the request.
    "issuers.middleware.TenantScopeMiddleware",
]

ROOT_URLCONF = "badgeplatform.urls"
WSGI_APPLICATION = "badgeplatform.wsgi.application"
ASGI_APPLICATION = "badgeplatform.asgi.application"

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
                "issuers.context_processors.tenant",
            ],
            # |day and |moment: every page writes dates one way, in the college's zone (issuers.dates).
            "builtins": ["issuers.templatetags.moments"],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_url("DATABASE_URL", schemes={"postgres", "postgresql", "sqlite"})
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
else:
    DATABASES = {"default": dj_database_url.parse(f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker read while the other writes; IMMEDIATE transactions
    # take the write lock up front instead of failing with "database is locked" half-way.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file (not :memory:) so that a real worker process started by a test sees the same data; one per
    # test run (its process id), so that two runs on one machine never share or delete each other's.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Cache and Celery -----------------------------------------------------------------------
# The broker and the cache belong in separate Redis servers in production: the cache's is allowed to evict
# keys under memory pressure (allkeys-lru) and may be flushed; the broker's holds queued work and must not.
# With REDIS_CACHE_URL unset the cache shares REDIS_URL (tests, the benchmarks).
REDIS_URL = env_url("REDIS_URL", schemes={"redis", "rediss"})
REDIS_CACHE_URL = env_url("REDIS_CACHE_URL", schemes={"redis", "rediss"}) or REDIS_URL
if REDIS_CACHE_URL:
    CACHES: dict[str, dict[str, Any]] = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_CACHE_URL}}
else:
    # Not local memory: every web process (gunicorn workers, runserver, a test's servers) and the worker must
    # see one cache, or a revoked badge stays "valid" in the process that cached it and each process keeps
    # its own count of failed logins and verifications.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(VAR_DIR / "cache"), "OPTIONS": {"MAX_ENTRIES": 10000}}}
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # The pipeline's queues (celery, bulk) in turn, webhooks only when they are empty, or once webhook work may
    # have waited WORKER_BACKGROUND_MAX_WAIT seconds (badgeplatform.queues; README "Worker").
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": 3600,
                                             "queue_order_strategy": "badgeplatform.queues:PipelineFirst"}
else:
    BROKER_DIR = VAR_DIR / "broker"
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # The default (1 s) delivers at most one message a second, a slow pipeline even for `make run`.
        "polling_interval": 0.1,
    }

# Two queues, and every worker takes from both in turn: a cohort's awards go to "bulk", so one learner's
# award, and every other task, is not held up behind another college's 10,000-learner cohort.
CELERY_TASK_DEFAULT_QUEUE = "celery"
# A third, "webhooks", holds webhook deliveries (HTTP posts to colleges' systems), so a slow receiver never
# stands between an award and its bake or email for longer than the task in hand.
# A fourth, "bulk_record", holds the recording of bulk jobs (a task per chunk of rows): taken in the bulk
# queue's turn and before it, so a cohort is recorded by every pool process before its bakes and emails.
CELERY_TASK_QUEUES = (Queue("celery"), Queue("bulk_record"), Queue("bulk"), Queue("webhooks"))
# On Redis the webhooks queue is taken from only when celery and bulk are empty (they go on in turn), but
# never waits longer than this behind them (badgeplatform.queues).
WORKER_BACKGROUND_MAX_WAIT = env_int("WORKER_BACKGROUND_MAX_WAIT", 30, minimum=1)
# Every webhook task, the recording of events as well as their sending (webhooks.tasks).
CELERY_TASK_ROUTES = {"webhooks.tasks.*": {"queue": "webhooks"}}
BULK_QUEUE = "bulk"
BULK_RECORD_QUEUE = "bulk_record"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# With acks_late a task whose worker process dies would still be acknowledged; this re-queues it.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Publishing gives up quickly when the broker is down: the rows record their pending work and the
# sweep below enqueues it again, so a request never hangs on a dead Redis.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Every countdown and retry delay stays below the Redis broker's visibility_timeout (3600 s), or the
# message is delivered again and again while it waits (tests/worker/test_settings.py).
# Settable (tests shorten it); 3600 or more is refused.
TASK_MAX_COUNTDOWN = env_int("TASK_MAX_COUNTDOWN", 600, minimum=1)
if TASK_MAX_COUNTDOWN >= 3600:
    raise ImproperlyConfigured("TASK_MAX_COUNTDOWN must be below the Redis visibility_timeout (3600 s).")
CELERY_BEAT_SCHEDULE: dict = {
    "pipeline-sweep": {"task": "assertions.tasks.pipeline_sweep", "schedule": env_int("PIPELINE_SWEEP_SECONDS", 60)},
    "outbox-sweep": {"task": "issuers.tasks.outbox_sweep", "schedule": env_int("PIPELINE_SWEEP_SECONDS", 60)},
    "pathways-reconcile": {"task": "pathways.tasks.pathways_reconcile", "schedule": 24 * 3600},
    "backpack-expiry-reminders": {"task": "backpack.tasks.expiry_reminders_send", "schedule": 6 * 3600},
    "backpack-imports-recheck": {"task": "backpack.tasks.imported_badges_recheck", "schedule": 24 * 3600},
    "console-offboardings-delete": {"task": "console.tasks.offboardings_delete", "schedule": 3600},
    "console-storage-measure": {"task": "console.tasks.storage_measure_all", "schedule": 24 * 3600},
    "webhooks-sweep": {"task": "webhooks.tasks.webhooks_sweep", "schedule": env_int("PIPELINE_SWEEP_SECONDS", 60)},
    "webhooks-expired": {"task": "webhooks.tasks.awards_expired_announce", "schedule": 3600},
    "lti-sync": {"task": "lti.tasks.links_sync", "schedule": env_int("LTI_SYNC_SECONDS", 3600)},
    "audit-prune": {"task": "issuers.tasks.audit_prune", "schedule": 24 * 3600},
    "obapi-tokens-expired": {"task": "obapi.tasks.tokens_expired_clear", "schedule": 24 * 3600},
}
EXPIRY_REMINDER_DAYS = env_int("EXPIRY_REMINDER_DAYS", 30)  # learners are reminded this long before expiry
# Audit entries older than this are deleted by the daily audit-prune task (issuers.audit).
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 730, minimum=30)
# The daily storage measure adds each day's new award images; every this many days it counts a college in full.
STORAGE_RECOUNT_DAYS = env_int("STORAGE_RECOUNT_DAYS", 30, minimum=1)

# --- the award pipeline ---------------------------------------------------------------------
PIPELINE_BATCH_SIZE = env_int("PIPELINE_BATCH_SIZE", 200)  # assertions per bake-and-email task
# Work pending this long (no task picked it up) is enqueued again by the sweep.
PIPELINE_STUCK_AFTER = env_int("PIPELINE_STUCK_AFTER", 120)
# SMTP connections one send uses at once (issuers.outbox): a message waits on four replies of the mail
# server, so a cohort goes out over several; 1 for a server that allows a client a single connection.
# A server that refuses an extra connection leaves the send with those it has.
EMAIL_CONNECTIONS = env_int("EMAIL_CONNECTIONS", 4, minimum=1)
# An email still "sending" this long means its worker died mid-send: shown as "delivery unknown".
EMAIL_SENDING_TIMEOUT = env_int("EMAIL_SENDING_TIMEOUT", 600)
BULK_MAX_ROWS = env_int("BULK_MAX_ROWS", 20000)
BULK_CHUNK_SIZE = env_int("BULK_CHUNK_SIZE", 1000)  # rows issued per transaction by a bulk job
CLAIM_LINK_MAX_AGE_DAYS = env_int("CLAIM_LINK_MAX_AGE_DAYS", 90)
# Wallet offers (OpenID4VCI) ask for a six-digit transaction code shown beside the QR code.
WALLET_TX_CODE = env_bool("WALLET_TX_CODE", default=True)

# --- Email ----------------------------------------------------------------------------------
_EMAIL_HOST = env_str("EMAIL_HOST")
if _EMAIL_HOST:
    EMAIL_BACKEND = "badgeplatform.mail.SMTPBackend"
    EMAIL_HOST = _EMAIL_HOST
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
else:
    EMAIL_BACKEND = "badgeplatform.mail.ConsoleAndFileEmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Badge Platform <badges@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL


def _refuse_local_deployment() -> None:
    if DEBUG or ALLOW_LOCAL_DEPLOYMENT:
        return
    problems = local_deployment_problems(
        public_base_url=PUBLIC_BASE_URL, default_public_base_url=DEFAULT_PUBLIC_BASE_URL,
        broker_url=CELERY_BROKER_URL, email_backend=EMAIL_BACKEND, database_engine=DATABASES["default"]["ENGINE"])
    if problems:
        raise ImproperlyConfigured("DEBUG is off, so refusing to start: " + " ".join(problems)
                                   + " (ALLOW_LOCAL_DEPLOYMENT=true permits these for a local trial or test.)")


_refuse_local_deployment()

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # collectstatic fills it; WhiteNoise wants it to exist
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Uploaded and baked files: the local disk (the embedded default), or S3-compatible object storage so that
# web and worker processes on different machines share them (FILE_STORAGE=s3). The bucket stays private:
# every file is served through our own views, which check what may be shown, so no object is public.
FILE_STORAGE = env_str("FILE_STORAGE", "local").lower()
if FILE_STORAGE not in {"local", "s3"}:
    raise ImproperlyConfigured(f"FILE_STORAGE must be local or s3, got {FILE_STORAGE!r}")
_LOCAL_FILES = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
_OBJECT_FILES = {
    "BACKEND": "storages.backends.s3.S3Storage",
    "OPTIONS": {
        "bucket_name": env_str("S3_BUCKET"),
        "endpoint_url": env_url("S3_ENDPOINT_URL", schemes={"https", "http"}) or None,  # None: AWS itself
        "region_name": env_str("S3_REGION") or None,
        "access_key": env_str("S3_ACCESS_KEY_ID") or None,  # None: boto3's own chain (instance role, env)
        "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
        "default_acl": None,  # the bucket's policy decides, and it should be private
        "querystring_auth": True,
        "file_overwrite": False,  # as on local disk: a second file of the same name gets a new name
        "location": env_str("S3_PREFIX"),
    },
}
if FILE_STORAGE == "s3" and not env_str("S3_BUCKET"):
    raise ImproperlyConfigured("FILE_STORAGE=s3 needs S3_BUCKET (and S3_ENDPOINT_URL for a store other than AWS)")
# Offboarded colleges' archives: never under MEDIA_ROOT (which a proxy may serve); downloaded from the console.
ARCHIVE_ROOT = Path(env_str("ARCHIVE_ROOT", str(VAR_DIR / "archives")))
STORAGES = {
    "default": _OBJECT_FILES if FILE_STORAGE == "s3" else _LOCAL_FILES,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Auth (django-allauth) ------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",  # allauth's, finding accounts by proven addresses only
]
ACCOUNT_ADAPTER = "issuers.adapter.OutboxAccountAdapter"  # account emails go through the outbox
ACCOUNT_LOGIN_METHODS = {"email"}
# "Email me a sign-in code": no password to remember for a learner who signs in twice a year.
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 10 * 60  # time to switch to the mail app on a phone and back
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
# An address finds an account only once that account proved it (accounts.selectors): these forms ask so
# for sign-in codes, password resets and "does an account exist" at sign-up.
ACCOUNT_FORMS = {
    "signup": "accounts.forms.SignupForm",
    "reset_password": "accounts.forms.ResetPasswordForm",
    "login": "sso.forms.LoginForm",  # refuses a password for staff of a college that requires single sign-on
    "request_login_code": "sso.forms.RequestLoginCodeForm",
}
# Staff single sign-on (README "Staff single sign-on"): each college's OpenID Connect or SAML provider is an
# allauth app built per request from the sso app's rows (sso.adapter); nothing is listed on the login page.
SOCIALACCOUNT_ADAPTER = "sso.adapter.CollegeSocialAccountAdapter"
SOCIALACCOUNT_STORE_TOKENS = False  # we only need to know who signed in, never to call the provider later
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_LOGIN_ON_GET = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PUBLIC_BASE_URL.startswith("https") else "http"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Badge Platform] "
ACCOUNT_RATE_LIMITS: dict[str, str] | bool = False if TESTING else {}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Badge Platform"
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "/accounts/login/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- The Open Badges 3.0 API's OAuth 2.0 server (django-oauth-toolkit; obapi, README "Wallets and other platforms")
OBAPI_SERVICE_NAME = env_str("OBAPI_SERVICE_NAME", "Badge Platform")
OBAPI_TERMS_URL = env_str("OBAPI_TERMS_URL", PUBLIC_BASE_URL + "/")
OBAPI_PRIVACY_URL = env_str("OBAPI_PRIVACY_URL", PUBLIC_BASE_URL + "/")
# Open registration (RFC 7591), counted per client address in the shared cache (verification.ratelimit).
OBAPI_REGISTER_RATE_LIMIT = env_str("OBAPI_REGISTER_RATE_LIMIT", "10/hour")
if not re.fullmatch(r"[1-9][0-9]*/(second|minute|hour|day)", OBAPI_REGISTER_RATE_LIMIT):
    raise ImproperlyConfigured(f"OBAPI_REGISTER_RATE_LIMIT must look like 10/hour, got {OBAPI_REGISTER_RATE_LIMIT!r}")
OAUTH2_PROVIDER = {
    "SCOPES": obapi_scopes.SCOPES,
    "DEFAULT_SCOPES": [obapi_scopes.CREDENTIAL_READONLY],
    "PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,  # S256 only
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,  # tokens are kept only as their SHA-256 (client secrets hashed)
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,  # a token in the query string is refused
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ROTATE_REFRESH_TOKEN": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("OBAPI_ACCESS_TOKEN_SECONDS", 3600, minimum=60),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env_int("OBAPI_REFRESH_TOKEN_DAYS", 180, minimum=1) * 24 * 3600,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "REQUEST_APPROVAL_PROMPT": "force",  # the learner consents every time a platform asks
    # obapi.views.register checks redirect URIs first: https, or http only on a loopback address (RFC 8252).
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"],
    "DCR_ENABLED": True,
    "DCR_REGISTRATION_PERMISSION_CLASSES": ("oauth2_provider.dcr.AllowAllDCRPermission",),  # OB 3.0: open
}

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["issuers.api_auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["issuers.api_auth.HasTenantApiKey"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON bodies are parsed with a depth limit: a deeply nested body is a 400, never a RecursionError.
    "DEFAULT_PARSER_CLASSES": ["issuers.parsers.DepthLimitedJSONParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "badgeplatform.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# --- i18n / time ----------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = PUBLIC_BASE_URL.startswith("https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PUBLIC_BASE_URL.startswith("https"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # HSTS on by default for an https site: a browser that has seen the site once never tries plain http
    # again, so a hostile network cannot strip TLS from a login. SECURE_HSTS_SECONDS=0 turns it off.
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600, minimum=0)

# Content-Security-Policy (django-csp): scripts and styles only from our own origin or inline with the
# request's nonce (`nonce="{{ request.csp_nonce }}"`), no on* attributes, no plugins, no framing, forms
# post only to us. Images may also be data:/blob: (previews) and https: (a foreign badge's own image on
# the verify page, loaded with no referrer); nothing else from another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", "blob:", "https:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# The client address, for login throttling and the verifier's rate limit (accounts.network): behind a
# reverse proxy set TRUSTED_PROXY_COUNT to the number of proxies that append to X-Forwarded-For, or
# TRUSTED_CLIENT_IP_HEADER to a header the proxy sets (and overwrites). Unset: REMOTE_ADDR, and a client's
# X-Forwarded-For is ignored. allauth reads the same two values.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
TRUSTED_CLIENT_IP_HEADER = env_str("TRUSTED_CLIENT_IP_HEADER")
if TRUSTED_CLIENT_IP_HEADER and not re.fullmatch(r"[A-Za-z0-9-]+", TRUSTED_CLIENT_IP_HEADER):
    raise ImproperlyConfigured(f"TRUSTED_CLIENT_IP_HEADER must be a header name such as X-Real-IP, "
                               f"got {TRUSTED_CLIENT_IP_HEADER!r}")
if TRUSTED_CLIENT_IP_HEADER.lower() == "x-forwarded-for":
    raise ImproperlyConfigured("TRUSTED_CLIENT_IP_HEADER cannot be X-Forwarded-For (a client writes its start): "
                               "set TRUSTED_PROXY_COUNT instead.")
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = TRUSTED_CLIENT_IP_HEADER or None

# --- Platform -------------------------------------------------------------------------------
INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 7, minimum=1)

# Verification (issue 5): fetching foreign badges never reaches private addresses unless this is on
# (tests, closed deployments); the public verifier is rate limited per client address.
VERIFY_ALLOW_PRIVATE_ADDRESSES = env_bool("VERIFY_ALLOW_PRIVATE_ADDRESSES", default=False)
VERIFY_RATE_LIMIT = env_str("VERIFY_RATE_LIMIT", "30/minute")
if not re.fullmatch(r"[1-9][0-9]*/(second|minute|hour|day)", VERIFY_RATE_LIMIT):
    raise ImproperlyConfigured(f"VERIFY_RATE_LIMIT must look like 30/minute, got {VERIFY_RATE_LIMIT!r}")
# Hard deadlines on fetching other sites' badges: each document (connect, TLS, headers and body), and
# one whole verification. A slow or trickling server gets "took too long", never a web worker for ever.
# --- Webhooks (README "Webhooks") ------------------------------------------------------------
# Deliveries go to public addresses only, as the verifier fetches; true for tests and closed deployments
# whose systems are on a private network (cloud metadata addresses stay refused).
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)  # one delivery, everything included
WEBHOOK_FIRST_RETRY_SECONDS = env_int("WEBHOOK_FIRST_RETRY_SECONDS", 30, minimum=0)  # then x4 each try, at most 12 h
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 10, minimum=1)  # about two days with the defaults
WEBHOOK_DISABLE_AFTER_DAYS = env_int("WEBHOOK_DISABLE_AFTER_DAYS", 5, minimum=1)  # failing this long: disabled
# LTI 1.3 (lti/): the tool's calls to learning platforms go through the same safe fetching rules.
LTI_ALLOW_PRIVATE_ADDRESSES = env_bool("LTI_ALLOW_PRIVATE_ADDRESSES", default=False)
LTI_TIMEOUT_SECONDS = env_int("LTI_TIMEOUT_SECONDS", 15, minimum=1)  # one call, everything included
LTI_REGISTRATION_URL_DAYS = env_int("LTI_REGISTRATION_URL_DAYS", 7, minimum=1)  # a pasted URL works this long
LTI_CLOSE_POINTS = env_int("LTI_CLOSE_POINTS", 10, minimum=1)  # "close": this many points below the rule
WEBHOOK_SECRET_OVERLAP_HOURS = env_int("WEBHOOK_SECRET_OVERLAP_HOURS", 24, minimum=0)  # old secret still signs

VERIFY_FETCH_SECONDS = env_int("VERIFY_FETCH_SECONDS", 5, minimum=1)
VERIFY_TOTAL_SECONDS = env_int("VERIFY_TOTAL_SECONDS", 10, minimum=1)
# How many verifications of other sites' badges one web process runs at once; more answer 503 "busy,
# try again" with Retry-After, so the process's other threads keep serving the rest of the site.
VERIFY_MAX_CONCURRENT = env_int("VERIFY_MAX_CONCURRENT", 2, minimum=1)
# How long a public assertion document is kept in the cache (it is also dropped on every change).
PUBLIC_DOCUMENT_CACHE_SECONDS = env_int("PUBLIC_DOCUMENT_CACHE_SECONDS", 86400, minimum=0)
# How long a CDN or the front proxy may hold a public document (Cache-Control s-maxage); clients always
# revalidate. Through such a cache a revocation shows after at most this long (README "Performance").
PUBLIC_SHARED_CACHE_SECONDS = env_int("PUBLIC_SHARED_CACHE_SECONDS", 10, minimum=0)

# --- Logs and metrics (badgeplatform.logs, badgeplatform.observability, badgeplatform.health) ----------
# JSON lines in production (one per request and per task, with the request id and the college), plain
# text for `make run` (DEBUG on).
LOG_FORMAT = env_str("LOG_FORMAT") or ("plain" if DEBUG else "json")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, got {LOG_FORMAT!r}")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env_str("LOG_LEVEL", "INFO"))
# The worker logs through the configuration above instead of Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# /metrics answers a bearer token, or clients from these networks (CIDRs, after TRUSTED_PROXY_COUNT);
# with neither it is off (404).
METRICS_TOKEN = env_str("METRICS_TOKEN")
if METRICS_TOKEN and len(METRICS_TOKEN) < 24:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 24 characters.")
try:
    METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network(n, strict=False) for n in env_list("METRICS_ALLOWED_NETWORKS", [])]
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS must be a comma-separated list of CIDRs: {exc}") from exc
# With PROMETHEUS_MULTIPROC_DIR set, each process (gunicorn's workers, Celery's pool) writes its counts in
# files there, and /metrics adds up every file under METRICS_ROOT (default: that directory; Compose gives
# each container a directory of its own under one shared volume).
METRICS_ROOT = env_str("METRICS_ROOT", env_str("PROMETHEUS_MULTIPROC_DIR"))
