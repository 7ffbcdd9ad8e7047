"""Log in and out, change one's password, switch the language: the pages of the `auth` blueprint."""

from __future__ import annotations

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
from flask_login import current_user, login_user, logout_user

from ...data.models import User
from ...data.session import get_session
from ...domain.clock import utcnow
from ...http.access import PUBLIC, access
from ...http.auth import authenticate, login_limits
from ...http.i18n import LANG_COOKIE
from ...services.passwords import hash_password, password_matches
from ..common.forms import LoginForm, PasswordChangeForm

bp = Blueprint("auth", __name__)


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
        if user is not None and user.role == "integration":
            # A FHIR service account: it takes API tokens and never logs in to a page.
            form.password.errors = [_("This is a service account: it reads the FHIR feed with an API token and cannot log in here.")]
            return render_template("auth/login.html", form=form), 403
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
        if not password_matches(current_user.password_hash, form.current_password.data):
            form.current_password.errors = [_("This is not your current password.")]
        else:
            user = current_user._get_current_object()
            user.password_hash = hash_password(form.new_password.data)
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


