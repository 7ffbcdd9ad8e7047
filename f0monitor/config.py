"""Configuration defaults and the normalisation of the database URL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask

DEV_SECRET_KEY = "dev"


class Defaults:
    """Settings used unless instance/config.py or F0MONITOR_* variables override them."""

    SECRET_KEY = DEV_SECRET_KEY
    MAX_CONTENT_LENGTH = 512 * 1024  # no form or report comes near this
    DATABASE_URL: str | None = None
    # False behind PgBouncer in transaction mode (README "Deployment"): no server-side PREPARE.
    DATABASE_PREPARED_STATEMENTS = True
    # A pooled connection idle longer than this (seconds) is pinged before use; 0: always.
    DATABASE_PING_AFTER = 1.0
    # Session cookies: not readable by scripts, not sent cross-site; Secure unless debugging
    # over plain http (the factory switches it off in debug and testing).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    WTF_CSRF_TIME_LIMIT = None  # a patient may leave the report form open for a long time
    # Flask-Limiter: memory for one process; point it at Redis when running several workers.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = True
    # Failed logins (README "Security"): refused per (phone, address) and per address; per
    # phone, wherever from, only slowed to one try every LOGIN_PHONE_DELAY seconds; a browser
    # that logged in to the account before counts on its own (the signed device cookie).
    LOGIN_LIMIT_PER_PHONE_ADDRESS = "5 per 15 minutes"
    LOGIN_LIMIT_PER_ADDRESS = "30 per 15 minutes"
    LOGIN_LIMIT_PER_PHONE = "20 per hour"
    LOGIN_PHONE_DELAY = 30
    LOGIN_LIMIT_PER_DEVICE = "10 per 15 minutes"
    DEVICE_COOKIE_LIFETIME = timedelta(days=180)
    # Proxies in front that set X-Forwarded-For (0: none; 1: one nginx or TLS terminator).
    PROXY_HOPS = 0
    # The second factor of staff: "required" (doctor, coordinator, department, admin; volunteers
    # may), "optional" (every staff account may), "off".
    STAFF_MFA = "required"
    MFA_PENDING_SECONDS = 300  # time between the password and the code on the login page
    # Service accounts that use API tokens only and are refused at the login page.
    TOKEN_ONLY_ROLES = ("integration",)
    REGISTER_LIMIT = "20 per hour"
    ASSESS_LIMIT = "120 per minute"
    API_TOKEN_TTL = timedelta(days=30)
    # HSTS outside debug (http.transport): one year; 0 switches the header off.
    HSTS_SECONDS = 365 * 24 * 3600
    HSTS_INCLUDE_SUBDOMAINS = False
    # Input no parser should see (http.inputguard): JSON nested deeper is refused with 400.
    MAX_JSON_DEPTH = 32
    # Seconds a staff member's queue total ("N active patients") may be reused: the counts
    # only label the page, which is exact without them (services.queue.CountCache).
    QUEUE_COUNT_TTL = 10
    # Seconds the department's count of today's silent patients (overdue, missing) may be
    # reused for the same area: it reads every silent patient (services.caseload.silent_now).
    DEPARTMENT_COUNT_TTL = 10
    # A database that is down or restarting: 503 with this Retry-After (seconds).
    DB_RETRY_AFTER = 5
    # Decree 13/2023: personal data of a case is anonymised this many days after its treatment
    # ended (recovered, transferred, deceased, or consent withdrawn): `flask retention`.
    RETENTION_DAYS = 180
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")
    DEFAULT_PROVINCE_CODE = 91  # An Giang
    # The SMS gateway's shared secret for POST /api/v1/hooks/sms (header X-F0-Hook-Token);
    # empty: the hook refuses every request.
    SMS_HOOK_TOKEN = ""
    COMPRESS_MIMETYPES = [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "image/svg+xml",
        "text/csv",
    ]
    # Flask-Compress also answers in brotli where the browser accepts it (brotli is installed
    # with flask-compress); static files are compressed once in memory by web.common.plumbing.
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_LEVEL = 6
    # Flask-Compress leaves static files open when it compresses streamed responses, so it
    # compresses the pages and JSON only; static files are compressed by their own view.
    COMPRESS_STREAMS = False
    COMPRESS_MIN_SIZE = 500
    SEND_FILE_MAX_AGE_DEFAULT = timedelta(days=7)
    # The department's reproduction number (domain/epi.py): the serial interval's mean and sd
    # in days (COVID-19, Nishiura et al. 2020) and the sliding window of the estimate.
    EPI_SERIAL_INTERVAL_MEAN = 4.7
    EPI_SERIAL_INTERVAL_SD = 2.9
    EPI_RT_WINDOW = 7


def database_url(app: Flask) -> str:
    """Return the SQLAlchemy URL: the configured one with the psycopg 3 driver, or SQLite."""
    url = app.config.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{Path(app.instance_path) / 'f0monitor.sqlite'}"
    # A bare postgresql:// means psycopg2 to SQLAlchemy; we ship psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def check_secret_key(app: Flask) -> None:
    """Refuse to run in production with the development secret key."""
    if app.config.get("SECRET_KEY") in (None, "", DEV_SECRET_KEY) and not (
        app.debug or app.testing
    ):
        raise RuntimeError(
            "SECRET_KEY is the development default. Set F0MONITOR_SECRET_KEY or SECRET_KEY in "
            "instance/config.py before running f0monitor outside debug mode."
        )
