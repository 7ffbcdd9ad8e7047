"""Who is calling: Flask-Login loaders for sessions and bearer tokens, logging in (password, then
the second factor), the failed-login throttle, device cookies, the proxy in front and CSRF.
Shared by the pages (web) and the JSON API (api), so both count failures on one counter.

The throttle (OWASP's "device cookie" scheme, ASVS 2.2.1) keeps failed logins in the limiter's
storage (Redis when ``RATELIMIT_STORAGE_URI`` names it, so every worker sees the same counts):

1. per (phone, address): ``LOGIN_LIMIT_PER_PHONE_ADDRESS``, then refused until the window ends;
2. per address: ``LOGIN_LIMIT_PER_ADDRESS``, then refused;
3. per phone, wherever the tries come from: ``LOGIN_LIMIT_PER_PHONE``, after which the phone is
   only slowed down, to one try every ``LOGIN_PHONE_DELAY`` seconds: never locked;
4. a browser that has logged in to this account before carries a signed device cookie; its tries
   count on a counter of its own (``LOGIN_LIMIT_PER_DEVICE``) and nothing an attacker does from
   elsewhere slows it down.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, request, session
from flask_login import current_user, login_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.middleware.proxy_fix import ProxyFix

from ..data.models import ApiToken, LoginSession, User
from ..data.session import get_session
from ..domain.clock import utcnow
from ..extensions import csrf, limiter, login_manager
from ..services import audit, credentials, mfa
from ..services.passwords import hash_password, password_matches
from ..services.phones import InvalidPhone, normalize_phone
from .access import check_declared

# Checked when the phone is unknown, so that a wrong phone takes as long as a wrong password.
_DUMMY_HASH = hash_password("not a real password")
DEVICE_COOKIE = "f0_device"
_DEVICE_SALT = "f0monitor-device"
_DEVICE_PHONES = 5  # accounts remembered per browser (a family shares a phone)
LANG_KEY = "lang"  # http.i18n.LANG_COOKIE; repeated here to keep i18n out of the loaders
SID_KEY = "sid"
PENDING_KEY = "mfa_pending"


# --- the throttle ----------------------------------------------------------------------------


def phone_key(raw: str | None) -> str:
    """The phone being tried, normalised (formats cannot dodge the count) and hashed (no phone
    number in the counters' storage)."""
    try:
        phone = normalize_phone(str(raw or ""))
    except InvalidPhone:
        phone = str(raw or "").strip()[:32]
    return hashlib.sha256(phone.encode()).hexdigest()[:24]


class LoginThrottle:
    """Failed-login counters of one app, in the limiter's storage."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.storage = storage_from_string(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
        self.window = MovingWindowRateLimiter(self.storage)
        self.prefix = (app.config.get("RATELIMIT_KEY_PREFIX") or "f0") + ":login"

    @property
    def enabled(self) -> bool:
        return bool(self.app.config.get("RATELIMIT_ENABLED", True))

    def _limit(self, name: str):
        return parse(self.app.config[name])

    def _wait(self, name: str, *ids: str) -> int:
        """Seconds until the counter ``name`` for ``ids`` allows a try again (0: allowed now)."""
        item = self._limit(name)
        if self.window.test(item, self.prefix, name, *ids):
            return 0
        stats = self.window.get_window_stats(item, self.prefix, name, *ids)
        return max(1, int(stats.reset_time - time.time()) + 1)

    def _hit(self, name: str, *ids: str) -> None:
        self.window.hit(self._limit(name), self.prefix, name, *ids)

    def wait(self, phone: str, address: str, device: str | None) -> int:
        """Return how many seconds this try must wait (0: go ahead). May take the slow lane's slot."""
        if not self.enabled:
            return 0
        if device:
            return self._wait("LOGIN_LIMIT_PER_DEVICE", device, phone)
        refused = max(
            self._wait("LOGIN_LIMIT_PER_PHONE_ADDRESS", phone, address),
            self._wait("LOGIN_LIMIT_PER_ADDRESS", address),
        )
        if refused:
            return refused
        if self._wait("LOGIN_LIMIT_PER_PHONE", phone):
            # Past the global cap: slowed, never locked. One try per delay, from anywhere.
            slow = parse(f"1 per {int(self.app.config['LOGIN_PHONE_DELAY'])} seconds")
            if not self.window.hit(slow, self.prefix, "slow", phone):
                stats = self.window.get_window_stats(slow, self.prefix, "slow", phone)
                return max(1, int(stats.reset_time - time.time()) + 1)
        return 0

    def failed(self, phone: str, address: str, device: str | None) -> None:
        if not self.enabled:
            return
        self._hit("LOGIN_LIMIT_PER_PHONE", phone)  # one counter per phone, web and API alike
        if device:
            self._hit("LOGIN_LIMIT_PER_DEVICE", device, phone)
        else:
            self._hit("LOGIN_LIMIT_PER_PHONE_ADDRESS", phone, address)
            self._hit("LOGIN_LIMIT_PER_ADDRESS", address)

    def succeeded(self, phone: str, address: str, device: str | None) -> None:
        if not self.enabled:
            return
        self.window.clear(self._limit("LOGIN_LIMIT_PER_PHONE_ADDRESS"), self.prefix,
                          "LOGIN_LIMIT_PER_PHONE_ADDRESS", phone, address)
        if device:
            self.window.clear(self._limit("LOGIN_LIMIT_PER_DEVICE"), self.prefix,
                              "LOGIN_LIMIT_PER_DEVICE", device, phone)


def throttle() -> LoginThrottle:
    return current_app.extensions["f0monitor.login_throttle"]


def client_address() -> str:
    """The caller's address: the socket's, or the proxy's X-Forwarded-For (``PROXY_HOPS``)."""
    return (request.remote_addr or "unknown")[:45]


# --- device cookies --------------------------------------------------------------------------


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_DEVICE_SALT)


def _device_cookie() -> dict | None:
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = _device_serializer().loads(
            raw, max_age=int(current_app.config["DEVICE_COOKIE_LIFETIME"].total_seconds())
        )
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("d"), str) or not isinstance(data.get("p"), list):
        return None
    return data


def trusted_device(phone: str) -> str | None:
    """Return this browser's device id when it has logged in to the account of ``phone`` before."""
    data = _device_cookie()
    if data is not None and phone in data["p"]:
        return data["d"]
    return None


def remember_device(response, phone: str):
    """Add the account to this browser's signed device cookie (set after a full login)."""
    data = _device_cookie() or {"d": secrets.token_urlsafe(16), "p": []}
    phones = [phone, *[p for p in data["p"] if p != phone]][:_DEVICE_PHONES]
    value = _device_serializer().dumps({"d": data["d"], "p": phones})
    response.set_cookie(
        DEVICE_COOKIE, value,
        max_age=int(current_app.config["DEVICE_COOKIE_LIFETIME"].total_seconds()),
        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Lax",
    )
    return response


# --- logging in ------------------------------------------------------------------------------


def _check_password(phone_text: str, password: str) -> User | None:
    try:
        phone = normalize_phone(phone_text)
    except InvalidPhone:
        password_matches(_DUMMY_HASH, password)
        return None
    user = get_session().scalar(sa.select(User).where(User.phone == phone))
    if user is None or not user.password_hash:
        password_matches(_DUMMY_HASH, password)
        return None
    if not password_matches(user.password_hash, password):
        return None
    if not user.is_active_account:
        return None
    return user


def authenticate(phone_text: str, password: str) -> User | None:
    """Return the active user with this phone and password, or None (no throttle, no factor)."""
    return _check_password(phone_text, password)


def mfa_setting() -> str:
    return current_app.config["STAFF_MFA"]


def page_roles_refused() -> frozenset[str]:
    """Roles that use tokens only and never log in to pages (service accounts)."""
    return frozenset(current_app.config.get("TOKEN_ONLY_ROLES", ()))


@dataclass(frozen=True)
class Attempt:
    """What came of a login try. ``outcome``: ok, wait, bad, code_needed, bad_code, enrol_needed,
    refused (a token-only account at the pages)."""

    outcome: str
    user: User | None = None
    retry_after: int = 0
    used: str | None = None  # "totp" or "recovery" when a second factor was accepted


def attempt_login(phone_text: str, password: str, *, otp: str | None = None, pages: bool) -> Attempt:
    """Check a password (and the second factor when ``otp`` is given), throttled.

    ``pages`` is True for the login page, where the code is asked on a second page; the API
    takes it in the same request. Failures count on the shared counters.
    """
    key, address = phone_key(phone_text), client_address()
    device = trusted_device(key)
    wait = throttle().wait(key, address, device)
    if wait:
        return Attempt("wait", retry_after=wait)
    user = _check_password(phone_text, password)
    if user is None:
        throttle().failed(key, address, device)
        current_app.logger.info("login failed channel=%s", "web" if pages else "api")
        return Attempt("bad")
    if pages and user.role in page_roles_refused():
        throttle().failed(key, address, device)
        return Attempt("refused")
    setting = mfa_setting()
    if not pages and mfa.must_enrol(user, setting):
        return Attempt("enrol_needed", user)
    if mfa.asks_code(user, setting):
        if pages:
            return Attempt("code_needed", user)
        if not otp:
            throttle().failed(key, address, device)  # no password oracle without a throttle
            return Attempt("code_needed", user)
        return _check_code(user, otp, key, address, device)
    throttle().succeeded(key, address, device)
    return Attempt("ok", user)


def _check_code(user: User, code: str, key: str, address: str, device: str | None) -> Attempt:
    """Check a TOTP or recovery code, counting a wrong one as a failed login."""
    used = mfa.verify(get_session(), user, code, now=utcnow())
    if used is None:
        throttle().failed(key, address, device)
        return Attempt("bad_code", user)
    if used == "recovery":
        record_security(user, "mfa_recovery_code_used")
    throttle().succeeded(key, address, device)
    return Attempt("ok", user, used=used)


def attempt_code(user: User, code: str) -> Attempt:
    """The login page's second step: check the code of a user whose password was right."""
    key, address = phone_key(user.phone), client_address()
    device = trusted_device(key)
    wait = throttle().wait(key, address, device)
    if wait:
        return Attempt("wait", user, retry_after=wait)
    return _check_code(user, code, key, address, device)


def start_session(user: User) -> LoginSession:
    """Log a user in to the pages: a fresh session (no fixation) with a row they can revoke."""
    chosen = session.get(LANG_KEY)
    session.clear()
    if chosen:
        session[LANG_KEY] = chosen
        if not user.locale:
            user.locale = chosen  # the language picked before logging in sticks
    now = utcnow()
    sid, row = credentials.open_session(get_session(), user, label=request.user_agent.string, now=now)
    session[SID_KEY] = sid
    login_user(user)
    user.last_login_at = now
    g.login_session = row
    return row


def current_login_session() -> LoginSession | None:
    """The row of the browser session this request belongs to (pages only)."""
    if "login_session" not in g:
        _ = current_user.is_authenticated  # loads the user, and with it the row
    return g.get("login_session")


def record_security(user: User, action: str, detail: str | None = None, *, by: User | None = None) -> None:
    """Add a security change of an account to the audit trail (no patient record involved)."""
    audit.record(
        get_session(),
        user_id=(by or user).id,
        patient_id=None,
        action=action,
        now=utcnow(),
        ip=client_address(),
        detail=(f"account={user.id}" + (f" {detail}" if detail else ""))[:255],
    )


# --- API tokens ------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return credentials.digest(token)


def issue_token(user: User, *, now: datetime, label: str | None = None) -> tuple[str, ApiToken]:
    """Create a random bearer token; only its hash is stored."""
    return credentials.issue_token(
        get_session(), user, ttl=current_app.config["API_TOKEN_TTL"],
        label=label or (request.user_agent.string if has_request_context() else None), now=now,
    )


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def current_token() -> ApiToken | None:
    """Return the valid token row the request carries, if any."""
    if "api_token" not in g:
        g.api_token = credentials.live_token(get_session(), _bearer(), now=utcnow())
    return g.api_token


def token_path(path: str) -> bool:
    """Tell whether a path is authenticated by bearer tokens (the JSON API and FHIR)."""
    return path.startswith(TOKEN_PREFIXES)


TOKEN_PREFIXES = ("/api/", "/fhir")


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    # The API never trusts the session cookie: it takes bearer tokens only (no CSRF exposure).
    if token_path(request.path):
        return None
    try:
        ident, version = (int(part) for part in user_id.split(":"))
    except ValueError:
        return None
    user = get_session().get(User, ident)
    if user is None or user.session_version != version or not user.is_active_account:
        return None
    if user.role in page_roles_refused():
        return None
    row = credentials.live_session(
        get_session(), user.id, session.get(SID_KEY), now=utcnow(),
        lifetime=current_app.config["PERMANENT_SESSION_LIFETIME"],
    )
    if row is None:  # revoked (password change, "log out elsewhere"), expired or from before
        return None
    g.login_session = row
    return user


@login_manager.request_loader
def _load_user_from_token(req) -> User | None:
    if not token_path(req.path):
        return None
    row = current_token()
    if row is None or not row.user.is_active_account:
        return None
    if mfa.must_enrol(row.user, mfa_setting()):  # a token from before the factor was required
        return None
    return row.user


def init_app(app: Flask) -> None:
    """Bind Flask-Login, CSRF, the limiter and the login throttle; trust the configured proxies;
    and require every view to declare its access."""
    mfa.check_setting(app.config["STAFF_MFA"])
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops:
        # X-Forwarded-For / -Proto / -Host set by that many proxies in front (nginx, the TLS
        # terminator): the throttle then counts each client, not the proxy.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"  # mobile networks change addresses often
    csrf.init_app(app)
    limiter.init_app(app)
    app.extensions["f0monitor.login_throttle"] = LoginThrottle(app)
    app.before_request(check_declared)
