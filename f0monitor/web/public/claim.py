"""The public page where a patient registered by the hotline claims their account."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import logout_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from ...data.session import get_session
from ...domain.clock import utcnow
from ...extensions import limiter
from ...http.access import PUBLIC, access
from ...http.auth import phone_key, remember_device, start_session
from ...http.labels import render_all
from ...services.claims import ClaimRefused, claim_account
from ...services.inputs import check_password, parse_phone

bp = Blueprint("claim", __name__)


class ClaimForm(FlaskForm):
    phone = StringField(_l("Phone number"), validators=[InputRequired(), Length(max=32)])
    code = StringField(_l("Code from the health worker (8 digits)"), validators=[InputRequired(), Length(max=16)])
    password = PasswordField(_l("New password (at least 8 characters)"), validators=[InputRequired()])
    confirm = PasswordField(_l("New password again"), validators=[InputRequired()])
    submit = SubmitField(_l("Set my password"))

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        errors: dict[str, list[Any]] = {}
        self._phone = parse_phone(self.phone.data or "", errors)
        if errors:
            self.phone.errors = [*self.phone.errors, *render_all(errors["phone"])]
        code = "".join((self.code.data or "").split())
        if code and (len(code) != 8 or not code.isdigit()):
            self.code.errors = [*self.code.errors, _("the code has 8 digits")]
        self._code = code
        problems = render_all(check_password(self.password.data))
        if problems:
            self.password.errors = [*self.password.errors, *problems]
        if self.password.data != self.confirm.data:
            self.confirm.errors = [*self.confirm.errors, _("the two passwords differ")]
        return not any(f.errors for f in self)


@bp.route("/claim", methods=("GET", "POST"))
@access(PUBLIC)
@limiter.limit(lambda: current_app.config["REGISTER_LIMIT"], methods=["POST"])
def claim():
    """Set a password with the one-time code the hotline gave, and log in."""
    form = ClaimForm()
    if form.is_submitted():
        if form.validate():
            session = get_session()
            try:
                user = claim_account(session, form._phone, form._code, form.password.data, now=utcnow())
                start_session(user)  # logged in, with a session row they can revoke
                session.commit()
            except (ClaimRefused, IntegrityError):
                session.rollback()
                logout_user()
                form.code.errors = [_("This phone number and code do not match, or the code has expired. Ask your health station for a new code.")]
            else:
                flash(_("Your account is ready. Please send your health report now."), "success")
                return remember_device(redirect(url_for("patients.new_report")), phone_key(user.phone))
        return render_template("claim.html", form=form), 422
    return render_template("claim.html", form=form)
