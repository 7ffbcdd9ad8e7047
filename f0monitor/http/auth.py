"""Who is calling: Flask-Login loaders for sessions and bearer tokens, password checks,
login throttling and CSRF. Shared by the pages (web) and the JSON API (api)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask import (
    Flask,
    current_app,
    request,
)
from sqlalchemy.orm import joinedload

from ..data.models import ApiToken, User
from ..data.session import get_session
from ..domain.clock import utcnow
from ..extensions import csrf, limiter, login_manager
from ..services.passwords import hash_password, password_matches
from ..services.phones import InvalidPhone, normalize_phone
from .access import check_declared

# Checked when the phone is unknown, so that a wrong phone takes as long as a wrong password.
_DUMMY_HASH = hash_password("not a real password")


def _login_phone_key() -> str:
    """Throttle key: the phone being tried, normalised, so formats cannot dodge the limit."""
    body = request.get_json(silent=True)
    raw = request.form.get("phone", "") or (body.get("phone", "") if isinstance(body, dict) else "")
    try:
        phone = normalize_phone(str(raw))
    except InvalidPhone:
        phone = str(raw).strip()[:32]
    return "login-phone:" + hashlib.sha256(phone.encode()).hexdigest()[:24]


def _failed(response) -> bool:
    return response.status_code not in (200, 201, 302) or getattr(response, "login_failed", False)


def login_limits(view):
    """Throttle failed logins per phone and per address (shared with the API token route)."""
    view = limiter.limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_PHONE"],
        key_func=_login_phone_key,
        methods=["POST"],
        deduct_when=_failed,
    )(view)
    view = limiter.limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
        methods=["POST"],
        deduct_when=_failed,
    )(view)
    return view


def authenticate(phone_text: str, password: str) -> User | None:
    """Return the active user with this phone and password, or None."""
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


# --- API tokens ------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, *, now: datetime) -> tuple[str, ApiToken]:
    """Create a random bearer token; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + current_app.config["API_TOKEN_TTL"],
    )
    get_session().add(row)
    return token, row


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def current_token() -> ApiToken | None:
    """Return the valid token row the request carries, if any."""
    token = _bearer()
    if not token:
        return None
    row = get_session().scalar(
        sa.select(ApiToken)
        .options(joinedload(ApiToken.user))  # the caller's user comes in the same statement
        .where(ApiToken.token_hash == token_hash(token))
    )
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return row


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    # The API never trusts the session cookie: it takes bearer tokens only (no CSRF exposure).
    if request.path.startswith("/api/"):
        return None
    try:
        ident, version = (int(part) for part in user_id.split(":"))
    except ValueError:
        return None
    user = get_session().get(User, ident)
    if user is None or user.session_version != version or not user.is_active_account:
        return None
    return user


@login_manager.request_loader
def _load_user_from_token(req) -> User | None:
    if not req.path.startswith("/api/"):
        return None
    row = current_token()
    if row is None or not row.user.is_active_account:
        return None
    return row.user


def init_app(app: Flask) -> None:
    """Bind Flask-Login, CSRF and the limiter, and require every view to declare its access."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"  # mobile networks change addresses often
    csrf.init_app(app)
    limiter.init_app(app)
    app.before_request(check_declared)
