"""Log in (password, then the staff's second factor) and out, one's password, sessions, tokens
and authenticator, the language: the pages of the `auth` blueprint."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from ...data.models import ROLES, User
from ...data.session import get_session
from ...domain.clock import utcnow
from ...extensions import limiter
from ...http.access import PUBLIC, access
from ...http.auth import (
    PENDING_KEY,
    attempt_code,
    attempt_login,
    current_login_session,
    mfa_setting,
    phone_key,
    record_security,
    remember_device,
    start_session,
)
from ...http.certificates import qr_svg
from ...http.i18n import LANG_COOKIE
from ...services import credentials, mfa
from ...services.passwords import password_matches
from ..common.forms import CsrfForm, LoginForm, PasswordChangeForm
from .forms import CodeForm

bp = Blueprint("auth", __name__)

EVERYONE = tuple(ROLES)
SETUP_KEY = "mfa_setup_secret"
# Pages an account that must enrol its second factor may still open.
_ENROLMENT_OPEN = frozenset({
    "auth.mfa_setup", "auth.logout", "auth.set_language", "auth.login", "auth.login_code", "static",
})


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("CocCoc", "Cốc Cốc"), ("Zalo", "Zalo"),
             ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("Linux", "Linux"))


@bp.app_template_filter("device_name")
def device_name(label: str | None) -> str:
    """A short name for a session or token's User-Agent ("Chrome · Android"), or the label."""
    text = label or ""
    browser = next((name for mark, name in _BROWSERS if mark in text), None)
    system = next((name for mark, name in _SYSTEMS if mark in text), None)
    if browser or system:
        return " · ".join(p for p in (browser, system) if p)
    return text[:60] or _("Unknown device")


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
    if user.role == "facility":
        return url_for("facility.index")
    return url_for("staff.index")


def _account_key() -> str:
    return f"account:{current_user.get_id() if current_user.is_authenticated else request.remote_addr}"


def _failed(response) -> bool:
    return response.status_code not in (200, 201, 302, 303) or getattr(response, "check_failed", False)


def account_limits(view):
    """Throttle the account pages that check a password or a code (a borrowed session cannot
    guess them)."""
    return limiter.limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_PHONE_ADDRESS"],
        key_func=_account_key, methods=["POST"], deduct_when=_failed,
    )(view)


def _page(template: str, status: int = 200, *, retry_after: int = 0, failed: bool = False, **context):
    response = current_app.make_response((render_template(template, **context), status))
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    response.check_failed = failed
    return response


def _wait_message(seconds: int) -> str:
    if seconds <= 90:
        return _("Too many tries. Wait %(n)s seconds and try again.", n=seconds)
    return _("Too many tries. Wait %(n)s minutes and try again.", n=(seconds + 59) // 60)


def _finish_login(user: User, target: str | None):
    start_session(user)
    get_session().commit()
    current_app.logger.info("login user_id=%s role=%s", user.id, user.role)
    response = redirect(_safe_next(target) or home_for(user))
    return remember_device(response, phone_key(user.phone))


@bp.before_app_request
def _enrolment_gate():
    """Staff who must have a second factor use nothing else until they have set it up."""
    if request.blueprint == "api" or request.endpoint in _ENROLMENT_OPEN or request.endpoint is None:
        return None
    if current_user.is_authenticated and mfa.must_enrol(current_user, mfa_setting()):
        return redirect(url_for("auth.mfa_setup"))
    return None


@bp.route("/login", methods=("GET", "POST"))
@access(PUBLIC)
def login():
    """Log in with phone number and password; staff with a second factor then give a code."""
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    attempt = attempt_login(form.phone.data, form.password.data, pages=True)
    if attempt.outcome == "wait":
        form.password.errors = [_wait_message(attempt.retry_after)]
        return _page("auth/login.html", 429, retry_after=attempt.retry_after, form=form)
    if attempt.outcome == "refused":
        form.password.errors = [_("This is a service account: it uses the API only.")]
        return _page("auth/login.html", 403, form=form)
    if attempt.outcome == "code_needed":
        user = attempt.user
        session[PENDING_KEY] = {
            "u": user.id, "v": user.session_version, "t": int(time.time()),
            "n": _safe_next(request.args.get("next")),
        }
        return redirect(url_for("auth.login_code"), 303)
    if attempt.outcome != "ok":
        form.password.errors = [_("Phone number or password is not right.")]
        return _page("auth/login.html", 200, failed=True, form=form)
    return _finish_login(attempt.user, request.args.get("next"))


def _pending_user() -> User | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    if time.time() - float(pending.get("t", 0)) > current_app.config["MFA_PENDING_SECONDS"]:
        session.pop(PENDING_KEY, None)
        return None
    user = get_session().get(User, int(pending.get("u", 0)))
    if user is None or not user.is_active_account or user.session_version != pending.get("v"):
        return None
    return user


@bp.route("/login/code", methods=("GET", "POST"))
@access(PUBLIC)
def login_code():
    """The login's second step: the code from the authenticator app, or a recovery code."""
    user = _pending_user()
    if user is None:
        flash(_("Please log in again: the code must follow the password within 5 minutes."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("auth/login_code.html", form=form)
    attempt = attempt_code(user, form.code.data)
    if attempt.outcome == "wait":
        form.code.errors = [_wait_message(attempt.retry_after)]
        return _page("auth/login_code.html", 429, retry_after=attempt.retry_after, form=form)
    if attempt.outcome != "ok":
        get_session().commit()  # nothing half-stored: a failed check changes nothing
        form.code.errors = [_("This code is not right, or was already used. Enter the code your app shows now.")]
        return _page("auth/login_code.html", 200, failed=True, form=form)
    target = session.get(PENDING_KEY, {}).get("n")
    if attempt.used == "recovery":
        flash(_("You used a recovery code; it will not work again. Make new ones on the security page if few are left."), "info")
    return _finish_login(user, target)


@bp.route("/logout", methods=("POST",))
@access(PUBLIC)
def logout():
    """Log out (a POST with the CSRF token, so no link can log someone out)."""
    if current_user.is_authenticated:
        credentials.close_session(get_session(), current_login_session(), now=utcnow())
        get_session().commit()
    logout_user()
    lang = session.get(LANG_COOKIE)
    session.clear()
    if lang:
        session[LANG_COOKIE] = lang
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=("GET", "POST"))
@access(*EVERYONE)
@account_limits
def change_password():
    """Change one's own password; every other session and API token of the account ends."""
    user = current_user._get_current_object()
    form = PasswordChangeForm(user=user)
    if form.validate_on_submit():
        if not password_matches(user.password_hash, form.current_password.data):
            form.current_password.errors = [_("This is not your current password.")]
            return _page("auth/password.html", 200, failed=True, form=form)
        db = get_session()
        ended = credentials.set_password(
            db, user, form.new_password.data, now=utcnow(), keep_session=current_login_session()
        )
        record_security(user, "password_changed", f"revoked={ended}")
        db.commit()
        flash(_("Your password has been changed. Your other sessions and API tokens were ended."), "success")
        return redirect(home_for(user))
    return render_template("auth/password.html", form=form)


# --- sessions, tokens, the second factor ------------------------------------------------------


@bp.route("/account/security")
@access(*EVERYONE)
def security():
    """One's open sessions and API tokens, each revocable, and the second factor."""
    user = current_user._get_current_object()
    db, now = get_session(), utcnow()
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"]
    setting = mfa_setting()
    return render_template(
        "auth/security.html",
        sessions=credentials.sessions_of(db, user, now=now, lifetime=lifetime),
        tokens=credentials.tokens_of(db, user, now=now),
        current=current_login_session(),
        form=CsrfForm(),
        code_form=CodeForm(),
        mfa_enrolled=mfa.is_enrolled(user),
        mfa_may=mfa.may_enrol(user, setting),
        mfa_required=setting == mfa.REQUIRED and user.role in mfa.REQUIRED_ROLES,
        codes_left=mfa.recovery_codes_left(db, user) if mfa.is_enrolled(user) else 0,
    )


@bp.route("/account/sessions/<int:session_id>/revoke", methods=("POST",))
@access(*EVERYONE)
def revoke_session(session_id: int):
    """End one of one's own browser sessions (the device is logged out on its next request)."""
    if not CsrfForm().validate_on_submit():
        return redirect(url_for("auth.security"), 303)
    user, db = current_user._get_current_object(), get_session()
    if credentials.revoke_session(db, user, session_id, now=utcnow()):
        record_security(user, "session_revoked", f"session={session_id}")
        db.commit()
        flash(_("The session was ended."), "success")
    return redirect(url_for("auth.security"), 303)


@bp.route("/account/sessions/revoke-others", methods=("POST",))
@access(*EVERYONE)
def revoke_other_sessions():
    """End every session and API token of the account but this browser's."""
    if not CsrfForm().validate_on_submit():
        return redirect(url_for("auth.security"), 303)
    user, db = current_user._get_current_object(), get_session()
    ended = credentials.revoke_all(db, user, now=utcnow(), keep_session=current_login_session())
    record_security(user, "sessions_revoked", f"revoked={ended}")
    db.commit()
    flash(_("All your other sessions and API tokens were ended."), "success")
    return redirect(url_for("auth.security"), 303)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=("POST",))
@access(*EVERYONE)
def revoke_token(token_id: int):
    """Revoke one of one's own API tokens."""
    if not CsrfForm().validate_on_submit():
        return redirect(url_for("auth.security"), 303)
    user, db = current_user._get_current_object(), get_session()
    if credentials.revoke_token(db, user, token_id, now=utcnow()):
        record_security(user, "token_revoked", f"token={token_id}")
        db.commit()
        flash(_("The API token was revoked."), "success")
    return redirect(url_for("auth.security"), 303)


def _setup_page(form: CodeForm, secret: str, status: int = 200, failed: bool = False):
    user = current_user._get_current_object()
    uri = mfa.provisioning_uri(secret, user.phone)
    return _page(
        "auth/mfa_setup.html", status, failed=failed, form=form, qr=qr_svg(uri),
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        required=mfa.must_enrol(user, mfa_setting()), replacing=mfa.is_enrolled(user),
    )


@bp.route("/account/mfa", methods=("GET", "POST"))
@access(*EVERYONE)
@account_limits
def mfa_setup():
    """Set up (or replace) the authenticator app: scan the QR code, confirm with a code."""
    user = current_user._get_current_object()
    if not mfa.may_enrol(user, mfa_setting()):
        flash(_("Your account does not use a second factor."), "info")
        return redirect(url_for("auth.security"), 303)
    form = CodeForm()
    secret = session.get(SETUP_KEY)
    if request.method == "GET" or not secret:
        secret = mfa.new_secret()
        session[SETUP_KEY] = secret  # in the signed session cookie until confirmed
        return _setup_page(form, secret)
    if not form.validate_on_submit():
        return _setup_page(form, secret, 422)
    db = get_session()
    replacing = mfa.is_enrolled(user)
    codes = mfa.enable(db, user, secret, form.code.data, now=utcnow(), keep_session=current_login_session())
    if codes is None:
        form.code.errors = [_("This code does not match. Check the time on your phone and enter the code your app shows now.")]
        return _setup_page(form, secret, 200, failed=True)
    session.pop(SETUP_KEY, None)
    record_security(user, "mfa_replaced" if replacing else "mfa_enabled")
    db.commit()
    return render_template("auth/recovery_codes.html", codes=codes, home=home_for(user))


@bp.route("/account/mfa/recovery-codes", methods=("POST",))
@access(*EVERYONE)
@account_limits
def new_recovery_codes():
    """Make new recovery codes (the old ones stop working); a current code is asked."""
    return _with_current_code("recovery_codes_renewed")


@bp.route("/account/mfa/disable", methods=("POST",))
@access(*EVERYONE)
@account_limits
def mfa_disable():
    """Turn the second factor off, where it is not required; a current code is asked."""
    return _with_current_code("mfa_disabled")


def _with_current_code(action: str):
    user, db = current_user._get_current_object(), get_session()
    form = CodeForm()
    if not mfa.is_enrolled(user):
        return redirect(url_for("auth.security"), 303)
    if action == "mfa_disabled" and mfa_setting() == mfa.REQUIRED and user.role in mfa.REQUIRED_ROLES:
        flash(_("Your role must keep a second factor. To change phones, set up the new one."), "danger")
        return redirect(url_for("auth.security"), 303)
    if not form.validate_on_submit() or mfa.verify(db, user, form.code.data, now=utcnow()) is None:
        db.rollback()
        flash(_("This code is not right, or was already used. Enter the code your app shows now."), "danger")
        response = redirect(url_for("auth.security"), 303)
        response.check_failed = True
        return response
    record_security(user, action)
    if action == "mfa_disabled":
        mfa.disable(db, user, now=utcnow())
        db.commit()
        flash(_("The second factor is off for your account."), "success")
        return redirect(url_for("auth.security"), 303)
    codes = mfa.new_recovery_codes(db, user, now=utcnow())
    db.commit()
    return render_template("auth/recovery_codes.html", codes=codes, home=url_for("auth.security"))


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
