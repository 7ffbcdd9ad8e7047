"""Logins: phone and password, sessions, API tokens, throttling, language choice."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from .access import PUBLIC, access, check_declared
from .db import get_session
from .extensions import csrf, limiter, login_manager
from .forms import LoginForm, PasswordChangeForm
from .i18n import LANG_COOKIE
from .models import ApiToken, User
from .phones import InvalidPhone, normalize_phone
from .timeutil import utcnow

bp = Blueprint("auth", __name__)

# Checked when the phone is unknown, so that a wrong phone takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")


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
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    user = get_session().scalar(sa.select(User).where(User.phone == phone))
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    if not user.is_active_account:
        return None
    return user


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_for(user: User) -> str:
    """Return the landing page of a role."""
    if user.role == "patient":
        return url_for("patients.home")
    if user.role == "department":
        return url_for("department.index")
    return url_for("staff.index")


@bp.route("/login", methods=("GET", "POST"))
@access(PUBLIC)
@login_limits
def login():
    """Log in with phone number and password."""
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.phone.data, form.password.data)
        if user is not None:
            chosen = session.get(LANG_COOKIE)
            session.clear()  # a fresh session on login (no fixation)
            if chosen:
                session[LANG_COOKIE] = chosen
                if not user.locale:
                    user.locale = chosen  # the language picked before logging in sticks
            login_user(user)
            user.last_login_at = utcnow()
            get_session().commit()
            current_app.logger.info("login user_id=%s role=%s", user.id, user.role)
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
        form.password.errors = [_("Phone number or password is not right.")]
        response = current_app.make_response(
            (render_template("auth/login.html", form=form), 200)
        )
        response.login_failed = True
        return response
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=("POST",))
@access(PUBLIC)
def logout():
    """Log out (a POST with the CSRF token, so no link can log someone out)."""
    logout_user()
    lang = session.get(LANG_COOKIE)
    session.clear()
    if lang:
        session[LANG_COOKIE] = lang
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=("GET", "POST"))
@access("patient", "volunteer", "doctor", "coordinator", "department", "admin")
def change_password():
    """Change one's own password; other sessions of the account end."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not check_password_hash(current_user.password_hash or "", form.current_password.data):
            form.current_password.errors = [_("This is not your current password.")]
        else:
            user = current_user._get_current_object()
            user.password_hash = generate_password_hash(form.new_password.data)
            user.session_version = (user.session_version or 1) + 1
            get_session().commit()
            login_user(user)
            flash(_("Your password has been changed."), "success")
            return redirect(home_for(user))
    return render_template("auth/password.html", form=form)


@bp.route("/lang/<code>", methods=("POST",))
@access(PUBLIC)
def set_language(code: str):
    """Switch the language; remembered for the account and in the session."""
    if code in current_app.config["LANGUAGES"]:
        session[LANG_COOKIE] = code
        if current_user.is_authenticated:
            current_user.locale = code
            get_session().commit()
    return redirect(_safe_next(request.form.get("next")) or "/")


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
    row = get_session().scalar(sa.select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
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
